package domain

import (
	"fmt"

	"github.com/upstatehq/upstate/webhook"
)

// PresetStatuspage names the settings of a receiver of Statuspage's
// component webhooks, which upstate's status pages send their webhook
// subscribers too, so that one page's change moves another's service.
const PresetStatuspage = "statuspage"

// WithPreset fills the fields of s left empty from the named preset ("":
// none). The statuspage preset takes the service's name from
// component.name (unless the receiver is for one service) and its status
// from component_update.new_status, whose words (operational,
// degraded_performance, partial_outage, major_outage, under_maintenance)
// the default mapping knows; a signature given without a scheme is
// standard-webhooks, as upstate pages sign.
func (s ReceiverSpec) WithPreset(name string) (ReceiverSpec, error) {
	switch name {
	case "":
		return s, nil
	case PresetStatuspage:
	default:
		return s, &ValidationError{Field: "preset", Message: fmt.Sprintf("%q is not a preset; valid presets are %s", name, PresetStatuspage)}
	}
	if s.ServiceID == "" && s.ServiceNameField == "" {
		s.ServiceNameField = "component.name"
	}
	if s.StatusField == "" {
		s.StatusField = "component_update.new_status"
	}
	if s.Signature != nil && s.Signature.Scheme == "" {
		sig := *s.Signature
		sig.Scheme = string(webhook.SchemeStandardWebhooks)
		s.Signature = &sig
	}
	return s, nil
}
