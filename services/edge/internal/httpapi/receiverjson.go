package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// receiverJSON is the REST representation of a webhook receiver. The
// signature secret is never shown; the token only when it is created.
type receiverJSON struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Enabled          bool              `json:"enabled"`
	ServiceID        *string           `json:"service_id"`
	ServiceNameField *string           `json:"service_name_field"`
	StatusField      string            `json:"status_field"`
	MessageField     string            `json:"message_field"`
	StatusMapping    map[string]string `json:"status_mapping"`
	Signature        *signatureJSON    `json:"signature"`
	AutoIncident     autoIncidentJSON  `json:"auto_incident"`
	TokenPrefix      string            `json:"token_prefix"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	// Token and URL are present only when the token is created or rotated.
	Token string `json:"token,omitempty"`
	URL   string `json:"url,omitempty"`
}

type signatureJSON struct {
	Header    string `json:"header"`
	Scheme    string `json:"scheme"`
	SecretSet bool   `json:"secret_set"`
}

type autoIncidentJSON struct {
	Enabled  bool   `json:"enabled"`
	Severity string `json:"severity"`
}

func toReceiverJSON(r *statusv1.Receiver) receiverJSON {
	out := receiverJSON{
		ID: r.GetId(), Name: r.GetName(), Enabled: r.GetEnabled(),
		ServiceID: nonEmpty(r.GetServiceId()), ServiceNameField: nonEmpty(r.GetServiceNameField()),
		StatusField: r.GetStatusField(), MessageField: r.GetMessageField(),
		StatusMapping: map[string]string{},
		AutoIncident: autoIncidentJSON{
			Enabled: r.GetAutoIncident().GetEnabled(), Severity: severityName(r.GetAutoIncident().GetSeverity()),
		},
		TokenPrefix: r.GetTokenPrefix(), CreatedAt: r.GetCreatedAt().AsTime(), UpdatedAt: r.GetUpdatedAt().AsTime(),
	}
	maps.Copy(out.StatusMapping, r.GetStatusMapping())
	if sig := r.GetSignature(); sig != nil {
		out.Signature = &signatureJSON{Header: sig.GetHeader(), Scheme: sig.GetScheme(), SecretSet: true}
	}
	return out
}

// nonEmpty is nil for "", so that an unused choice is shown as null.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var severityNames = map[statusv1.Severity]string{
	statusv1.Severity_SEVERITY_MINOR:    "minor",
	statusv1.Severity_SEVERITY_MAJOR:    "major",
	statusv1.Severity_SEVERITY_CRITICAL: "critical",
}

// severityName names a severity; unspecified is the default, major.
func severityName(s statusv1.Severity) string {
	if name, ok := severityNames[s]; ok {
		return name
	}
	return severityNames[statusv1.Severity_SEVERITY_MAJOR]
}

// parseSeverity accepts a severity name in any case; field names it in
// the error.
func parseSeverity(field, s string) (statusv1.Severity, error) {
	return parseEnum(severityNames, field, s, "minor, major, critical")
}

// signatureBody is a signature requirement as sent; the status service
// fills in the defaults and validates it.
type signatureBody struct {
	Secret string `json:"secret"`
	Header string `json:"header"`
	Scheme string `json:"scheme"`
}

func (b *signatureBody) proto() *statusv1.Signature {
	if b == nil {
		return nil
	}
	return &statusv1.Signature{Secret: b.Secret, Header: b.Header, Scheme: b.Scheme}
}

type autoIncidentBody struct {
	Enabled  bool    `json:"enabled"`
	Severity *string `json:"severity"`
}

func (b *autoIncidentBody) proto() (*statusv1.AutoIncident, error) {
	if b == nil {
		return nil, nil
	}
	out := &statusv1.AutoIncident{Enabled: b.Enabled}
	if b.Severity != nil {
		sev, err := parseSeverity("auto_incident.severity", *b.Severity)
		if err != nil {
			return nil, err
		}
		out.Severity = sev
	}
	return out, nil
}

// createReceiverBody is the body of POST /webhook-receivers. Omitted
// fields take the status service's defaults, but for enabled, which is
// true unless given.
type createReceiverBody struct {
	Name             string            `json:"name"`
	Enabled          *bool             `json:"enabled"`
	ServiceID        *string           `json:"service_id"`
	ServiceNameField *string           `json:"service_name_field"`
	StatusField      *string           `json:"status_field"`
	MessageField     *string           `json:"message_field"`
	StatusMapping    map[string]string `json:"status_mapping"`
	Signature        *signatureBody    `json:"signature"`
	AutoIncident     *autoIncidentBody `json:"auto_incident"`
	// Preset fills the fields left out from named settings (statuspage).
	Preset string `json:"preset"`
}

func (b createReceiverBody) spec() (*statusv1.ReceiverSpec, error) {
	auto, err := b.AutoIncident.proto()
	if err != nil {
		return nil, err
	}
	enabled := true
	if b.Enabled != nil {
		enabled = *b.Enabled
	}
	return &statusv1.ReceiverSpec{
		Name: b.Name, Enabled: enabled, ServiceId: stringOrEmpty(b.ServiceID), ServiceNameField: stringOrEmpty(b.ServiceNameField),
		StatusField: stringOrEmpty(b.StatusField), MessageField: stringOrEmpty(b.MessageField), StatusMapping: b.StatusMapping,
		Signature: b.Signature.proto(), AutoIncident: auto,
	}, nil
}

func stringOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// optional is a field of a PATCH body: whether it was given, and whether
// as null. Its value is decoded as strictly as the rest of the body
// (unknown fields are refused), and encoding/json reports a wrong type
// under the field's name.
type optional[T any] struct {
	set, null bool
	value     T
}

// MarshalJSON writes the field as given; with the omitzero option, a field
// not given is left out. The console sends its forms' PATCH bodies so.
func (o optional[T]) MarshalJSON() ([]byte, error) {
	if o.null {
		return []byte("null"), nil
	}
	return json.Marshal(o.value)
}

// IsZero reports whether the field was not given.
func (o optional[T]) IsZero() bool { return !o.set }

// UnmarshalJSON records that the field was given, and its value.
func (o *optional[T]) UnmarshalJSON(data []byte) error {
	o.set = true
	if bytes.Equal(data, []byte("null")) {
		o.null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.value)
}

// updateReceiverBody is the body of PATCH /webhook-receivers/:id: the
// fields to change. null is accepted where the representation can be
// null: it clears service_id or service_name_field and removes the
// signature requirement.
type updateReceiverBody struct {
	Name             optional[string]            `json:"name,omitzero"`
	Enabled          optional[bool]              `json:"enabled,omitzero"`
	ServiceID        optional[string]            `json:"service_id,omitzero"`
	ServiceNameField optional[string]            `json:"service_name_field,omitzero"`
	StatusField      optional[string]            `json:"status_field,omitzero"`
	MessageField     optional[string]            `json:"message_field,omitzero"`
	StatusMapping    optional[map[string]string] `json:"status_mapping,omitzero"`
	Signature        optional[signatureBody]     `json:"signature,omitzero"`
	AutoIncident     optional[autoIncidentBody]  `json:"auto_incident,omitzero"`
}

// updatableFields lists the PATCH fields, which are also the names of the
// ReceiverSpec fields in update_paths, in the order of ReceiverSpec.
const updatableFields = "name, enabled, service_id, service_name_field, status_field, message_field, status_mapping, signature, auto_incident"

// update turns the body into the spec and update_paths of an
// UpdateReceiverRequest. Fields not given keep their zero value, which the
// status service ignores; so does a null, which is what null means for the
// fields that accept it.
func (b updateReceiverBody) update() (*statusv1.ReceiverSpec, []string, error) {
	var paths []string
	for _, f := range []struct {
		name                string
		set, null, nullable bool
	}{
		{"name", b.Name.set, b.Name.null, false},
		{"enabled", b.Enabled.set, b.Enabled.null, false},
		{"service_id", b.ServiceID.set, b.ServiceID.null, true},
		{"service_name_field", b.ServiceNameField.set, b.ServiceNameField.null, true},
		{"status_field", b.StatusField.set, b.StatusField.null, false},
		{"message_field", b.MessageField.set, b.MessageField.null, false},
		{"status_mapping", b.StatusMapping.set, b.StatusMapping.null, false},
		{"signature", b.Signature.set, b.Signature.null, true},
		{"auto_incident", b.AutoIncident.set, b.AutoIncident.null, false},
	} {
		if !f.set {
			continue
		}
		if f.null && !f.nullable {
			return nil, nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s cannot be null", f.name)
		}
		paths = append(paths, f.name)
	}
	if len(paths) == 0 {
		return nil, nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"give at least one field to change: %s", updatableFields)
	}
	spec := &statusv1.ReceiverSpec{
		Name: b.Name.value, Enabled: b.Enabled.value, ServiceId: b.ServiceID.value,
		ServiceNameField: b.ServiceNameField.value, StatusField: b.StatusField.value,
		MessageField: b.MessageField.value, StatusMapping: b.StatusMapping.value,
	}
	if b.Signature.set && !b.Signature.null {
		spec.Signature = b.Signature.value.proto()
	}
	if b.AutoIncident.set {
		auto, err := b.AutoIncident.value.proto()
		if err != nil {
			return nil, nil, err
		}
		spec.AutoIncident = auto
	}
	return spec, paths, nil
}
