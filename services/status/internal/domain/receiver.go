package domain

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// Receiver defaults.
const (
	DefaultStatusField  = "status"
	DefaultMessageField = "message"
	// TokenPrefixLen is how much of a token is kept to recognise it.
	TokenPrefixLen = 8
)

// Severity is the severity of the incidents a receiver opens.
type Severity string

// The severities, least severe first.
const (
	SeverityMinor    Severity = "minor"
	SeverityMajor    Severity = "major"
	SeverityCritical Severity = "critical"
)

// AutoIncident says whether a receiver's reports open incidents, and how
// severe. The status service only carries it on its events; the incidents
// service acts on it.
type AutoIncident struct {
	Enabled  bool
	Severity Severity
}

// Signature is a receiver's signature requirement. The secret is the HMAC
// key the gateway verifies deliveries with, so it is kept readable.
type Signature struct {
	Secret string
	Header string
	Scheme string
}

// ReceiverSpec holds the settings a user chooses for a receiver.
type ReceiverSpec struct {
	Name    string
	Enabled bool
	// Exactly one of ServiceID (a fixed service) and ServiceNameField (a
	// dot path to the service's name in the payload) is set.
	ServiceID        string
	ServiceNameField string
	StatusField      string
	MessageField     string
	// StatusMapping overrides and extends the gateway's default mapping of
	// status words; never nil once normalised.
	StatusMapping map[string]string
	// Signature, when non-nil, is required on every delivery.
	Signature    *Signature
	AutoIncident AutoIncident
}

// Receiver turns webhook deliveries into status reports. Its token is
// stored only as a SHA-256 hash.
type Receiver struct {
	ReceiverSpec
	ID          string
	OrgID       string
	TokenHash   []byte
	TokenPrefix string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Normalize checks spec and returns it with surrounding spaces trimmed and
// defaults filled in: status and message fields, an empty mapping, the
// signature's defaults and a major severity. The error is a
// *ValidationError naming the first unacceptable field.
func (s ReceiverSpec) Normalize() (ReceiverSpec, error) {
	name, err := ValidateName(s.Name)
	if err != nil {
		return s, err
	}
	s.Name = name
	s.ServiceID = strings.TrimSpace(s.ServiceID)
	s.ServiceNameField = strings.TrimSpace(s.ServiceNameField)
	if (s.ServiceID == "") == (s.ServiceNameField == "") {
		return s, &ValidationError{Field: "service_id", Message: "exactly one of service_id and service_name_field is required"}
	}
	if s.ServiceNameField != "" {
		if err := validPath("service_name_field", s.ServiceNameField); err != nil {
			return s, err
		}
	}
	s.StatusField = orDefault(s.StatusField, DefaultStatusField)
	if err := validPath("status_field", s.StatusField); err != nil {
		return s, err
	}
	s.MessageField = orDefault(s.MessageField, DefaultMessageField)
	if err := validPath("message_field", s.MessageField); err != nil {
		return s, err
	}
	if s.StatusMapping == nil {
		s.StatusMapping = map[string]string{}
	}
	if err := webhook.Mapping(s.StatusMapping).Validate(); err != nil {
		return s, &ValidationError{Field: "status_mapping", Message: err.Error(), err: err}
	}
	if s.Signature != nil {
		sig := webhook.Signature{Secret: s.Signature.Secret, Header: s.Signature.Header, Scheme: webhook.Scheme(s.Signature.Scheme)}.Normalized()
		if err := sig.Validate(); err != nil {
			return s, &ValidationError{Field: "signature", Message: err.Error(), err: err}
		}
		s.Signature = &Signature{Secret: sig.Secret, Header: sig.Header, Scheme: string(sig.Scheme)}
	}
	switch s.AutoIncident.Severity {
	case "":
		s.AutoIncident.Severity = SeverityMajor
	case SeverityMinor, SeverityMajor, SeverityCritical:
	default:
		return s, &ValidationError{Field: "auto_incident.severity", Message: fmt.Sprintf("%q is not a severity; valid values are minor, major, critical", s.AutoIncident.Severity)}
	}
	return s, nil
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}

func validPath(field, path string) error {
	if _, err := webhook.ParsePath(path); err != nil {
		return &ValidationError{Field: field, Message: err.Error(), err: err}
	}
	return nil
}

// UpdatePaths are the spec fields an update can name.
var UpdatePaths = []string{
	"name", "enabled", "service_id", "service_name_field", "status_field",
	"message_field", "status_mapping", "signature", "auto_incident",
}

// Update returns s with the fields named in paths taken from upd, not yet
// normalised. The target is one choice: setting service_id to a service
// clears service_name_field unless that is named too, and the other way
// round. A signature without a secret keeps the current secret, since
// receivers are never shown with theirs; a nil signature removes it.
func (s ReceiverSpec) Update(upd ReceiverSpec, paths []string) (ReceiverSpec, error) {
	if len(paths) == 0 {
		return s, &ValidationError{Field: "update_paths", Message: "name at least one of " + strings.Join(UpdatePaths, ", ")}
	}
	for _, p := range paths {
		if !slices.Contains(UpdatePaths, p) {
			return s, &ValidationError{Field: "update_paths", Message: fmt.Sprintf("%q is not a receiver field; valid values are %s", p, strings.Join(UpdatePaths, ", "))}
		}
	}
	named := func(p string) bool { return slices.Contains(paths, p) }
	out := s
	out.StatusMapping = maps.Clone(s.StatusMapping)
	if named("name") {
		out.Name = upd.Name
	}
	if named("enabled") {
		out.Enabled = upd.Enabled
	}
	if named("service_id") {
		out.ServiceID = upd.ServiceID
		if upd.ServiceID != "" && !named("service_name_field") {
			out.ServiceNameField = ""
		}
	}
	if named("service_name_field") {
		out.ServiceNameField = upd.ServiceNameField
		if upd.ServiceNameField != "" && !named("service_id") {
			out.ServiceID = ""
		}
	}
	if named("status_field") {
		out.StatusField = upd.StatusField
	}
	if named("message_field") {
		out.MessageField = upd.MessageField
	}
	if named("status_mapping") {
		out.StatusMapping = maps.Clone(upd.StatusMapping)
	}
	if named("signature") {
		out.Signature = nil
		if upd.Signature != nil {
			sig := *upd.Signature
			if sig.Secret == "" && s.Signature != nil {
				sig.Secret = s.Signature.Secret
			}
			out.Signature = &sig
		}
	}
	if named("auto_incident") {
		out.AutoIncident = upd.AutoIncident
	}
	return out, nil
}

// HashToken is what is stored of a receiver token: its SHA-256. Tokens are
// 256 random bits, so a fast unsalted hash is enough to make a leaked
// table useless for sending deliveries.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// TokenPrefix is the start of a token that is kept to recognise it.
func TokenPrefix(token string) string {
	return token[:min(len(token), TokenPrefixLen)]
}

// ValidToken reports whether token looks like a receiver token: 64
// lowercase hexadecimal characters.
func ValidToken(token string) bool {
	if len(token) != 64 {
		return false
	}
	for _, c := range token {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
