package domain

import (
	"errors"
	"testing"
)

func TestWithPreset(t *testing.T) {
	t.Parallel()
	spec, err := ReceiverSpec{Name: "chain", Signature: &Signature{Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}.WithPreset(PresetStatuspage)
	if err != nil {
		t.Fatal(err)
	}
	if spec.ServiceNameField != "component.name" || spec.StatusField != "component_update.new_status" || spec.Signature.Scheme != "standard-webhooks" {
		t.Errorf("statuspage preset gave %+v", spec)
	}
	if _, err := spec.Normalize(); err != nil {
		t.Errorf("the preset's settings do not validate: %v", err)
	}
	// What the request gives wins.
	own, err := ReceiverSpec{Name: "one", ServiceID: "svc_1", StatusField: "status"}.WithPreset(PresetStatuspage)
	if err != nil || own.ServiceNameField != "" || own.StatusField != "status" || own.Signature != nil {
		t.Errorf("preset over given fields: %+v, %v", own, err)
	}
	var verr *ValidationError
	if _, err := (ReceiverSpec{}).WithPreset("pagerduty"); !errors.As(err, &verr) || verr.Field != "preset" {
		t.Errorf("unknown preset: %v", err)
	}
	if same, err := (ReceiverSpec{Name: "x"}).WithPreset(""); err != nil || same.StatusField != "" {
		t.Errorf("no preset changed the spec: %+v, %v", same, err)
	}
}
