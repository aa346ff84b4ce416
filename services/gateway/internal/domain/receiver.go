// Package domain is what the gateway decides about a webhook delivery,
// without I/O and in plain Go types: a receiver compiled once from the
// status service's description (paths parsed, mapping ready), the
// signature check, the verdict on a payload (processed, ignored or failed,
// with the status found and what it maps to) and the delivery that carries
// it all. Converting to and from protobuf is pbconv's business.
package domain

import (
	"fmt"

	"github.com/upstatehq/upstate/webhook"
)

// Default paths of a receiver that names none.
const (
	DefaultStatusField  = "status"
	DefaultMessageField = "message"
)

// ReceiverConfig is a webhook receiver as the status service describes it.
type ReceiverConfig struct {
	ID      string
	OrgID   string
	Enabled bool
	// ServiceID is the fixed target service, or "" when the payload names it.
	ServiceID string
	// StatusField, ServiceNameField and MessageField are dot paths into the
	// payload; empty StatusField and MessageField take the defaults, an
	// empty ServiceNameField means the receiver has a fixed service.
	StatusField      string
	ServiceNameField string
	MessageField     string
	// StatusMapping maps the receiver's own status words to statuses.
	StatusMapping map[string]string
	// Signature is the receiver's signature requirement; nil: none.
	Signature *webhook.Signature
}

// Receiver is a webhook receiver ready to judge deliveries. It is immutable
// once compiled, so one value serves concurrent requests.
type Receiver struct {
	ID      string
	OrgID   string
	Enabled bool
	// ServiceID is the fixed target service, or "" when the payload names it.
	ServiceID string

	statusField  string
	statusPath   webhook.Path
	serviceField string
	servicePath  webhook.Path
	messagePath  webhook.Path
	mapping      webhook.Mapping
	signature    *signature
	// invalid explains a configuration the gateway cannot use (a path that
	// does not parse); its deliveries are ignored with this reason.
	invalid string
}

// Compile prepares a receiver for judging deliveries. A configuration
// error does not fail: it becomes the reason every delivery is ignored,
// which the delivery log then shows to the receiver's owner.
func Compile(c ReceiverConfig) *Receiver {
	r := &Receiver{
		ID:           c.ID,
		OrgID:        c.OrgID,
		Enabled:      c.Enabled,
		ServiceID:    c.ServiceID,
		statusField:  c.StatusField,
		serviceField: c.ServiceNameField,
		mapping:      webhook.Mapping(c.StatusMapping),
	}
	if r.statusField == "" {
		r.statusField = DefaultStatusField
	}
	messageField := c.MessageField
	if messageField == "" {
		messageField = DefaultMessageField
	}
	var err error
	if r.statusPath, err = webhook.ParsePath(r.statusField); err != nil {
		r.invalid = fmt.Sprintf("receiver's status_field: %v", err)
	}
	if r.messagePath, err = webhook.ParsePath(messageField); err != nil && r.invalid == "" {
		r.invalid = fmt.Sprintf("receiver's message_field: %v", err)
	}
	if r.serviceField != "" {
		if r.servicePath, err = webhook.ParsePath(r.serviceField); err != nil && r.invalid == "" {
			r.invalid = fmt.Sprintf("receiver's service_name_field: %v", err)
		}
	}
	if r.ServiceID == "" && r.serviceField == "" && r.invalid == "" {
		r.invalid = "receiver has neither a service_id nor a service_name_field"
	}
	r.signature = compileSignature(c.Signature)
	return r
}

// Signed reports whether deliveries must carry a valid signature.
func (r *Receiver) Signed() bool { return r.signature != nil }
