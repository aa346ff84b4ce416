package domain

import (
	"errors"
	"strings"
	"testing"
)

func validSpec() ReceiverSpec {
	return ReceiverSpec{Name: "CI", Enabled: true, ServiceID: "svc_1"}
}

func TestReceiverSpecNormalizeDefaults(t *testing.T) {
	got, err := ReceiverSpec{Name: "  CI  ", ServiceNameField: " data.service ", Signature: &Signature{Secret: "s3cret"}}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "CI" || got.ServiceNameField != "data.service" {
		t.Errorf("not trimmed: %+v", got)
	}
	if got.StatusField != DefaultStatusField || got.MessageField != DefaultMessageField {
		t.Errorf("fields = %q, %q; want the defaults", got.StatusField, got.MessageField)
	}
	if got.StatusMapping == nil {
		t.Error("mapping is nil, want empty")
	}
	if got.AutoIncident.Severity != SeverityMajor {
		t.Errorf("severity = %q, want major", got.AutoIncident.Severity)
	}
	if s := got.Signature; s == nil || s.Secret != "s3cret" || s.Header != "X-Webhook-Signature" || s.Scheme != "hex" {
		t.Errorf("signature = %+v, want the gateway's defaults", s)
	}
}

func TestReceiverSpecNormalizeRejects(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*ReceiverSpec)
		field string
	}{
		{"blank name", func(s *ReceiverSpec) { s.Name = "  " }, "name"},
		{"long name", func(s *ReceiverSpec) { s.Name = strings.Repeat("n", MaxNameLen+1) }, "name"},
		{"no target", func(s *ReceiverSpec) { s.ServiceID = "" }, "service_id"},
		{"both targets", func(s *ReceiverSpec) { s.ServiceNameField = "service" }, "service_id"},
		{"bad service name field", func(s *ReceiverSpec) { s.ServiceID, s.ServiceNameField = "", "a..b" }, "service_name_field"},
		{"bad status field", func(s *ReceiverSpec) { s.StatusField = "a..b" }, "status_field"},
		{"bad message field", func(s *ReceiverSpec) { s.MessageField = "x." }, "message_field"},
		{"mapping to no status", func(s *ReceiverSpec) { s.StatusMapping = map[string]string{"red": "broken"} }, "status_mapping"},
		{"signature without secret", func(s *ReceiverSpec) { s.Signature = &Signature{Scheme: "hex"} }, "signature"},
		{"unknown scheme", func(s *ReceiverSpec) { s.Signature = &Signature{Secret: "k", Scheme: "md5"} }, "signature"},
		{"unknown severity", func(s *ReceiverSpec) { s.AutoIncident.Severity = "huge" }, "auto_incident.severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSpec()
			tt.edit(&spec)
			_, err := spec.Normalize()
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want a ValidationError", err)
			}
			if verr.Field != tt.field {
				t.Errorf("field = %q (%v), want %q", verr.Field, err, tt.field)
			}
		})
	}
}

func TestReceiverSpecUpdate(t *testing.T) {
	cur := ReceiverSpec{
		Name: "CI", Enabled: true, ServiceNameField: "service", StatusField: "state", MessageField: "message",
		StatusMapping: map[string]string{"red": "down"},
		Signature:     &Signature{Secret: "old", Header: "X-Sig", Scheme: "hex"},
		AutoIncident:  AutoIncident{Enabled: true, Severity: SeverityCritical},
	}
	t.Run("only named fields change", func(t *testing.T) {
		got, err := cur.Update(ReceiverSpec{Name: "Deploys", StatusField: "ignored"}, []string{"name"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Deploys" || got.StatusField != "state" || !got.Enabled || got.Signature.Secret != "old" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("setting service_id clears the name field", func(t *testing.T) {
		got, err := cur.Update(ReceiverSpec{ServiceID: "svc_1"}, []string{"service_id"})
		if err != nil || got.ServiceID != "svc_1" || got.ServiceNameField != "" {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	t.Run("signature without secret keeps the secret", func(t *testing.T) {
		got, err := cur.Update(ReceiverSpec{Signature: &Signature{Header: "X-Other", Scheme: "base64"}}, []string{"signature"})
		if err != nil || got.Signature.Secret != "old" || got.Signature.Header != "X-Other" {
			t.Errorf("got %+v, %v", got.Signature, err)
		}
		if cur.Signature.Header != "X-Sig" {
			t.Error("update changed the current spec")
		}
	})
	t.Run("nil signature removes it", func(t *testing.T) {
		got, err := cur.Update(ReceiverSpec{}, []string{"signature"})
		if err != nil || got.Signature != nil {
			t.Errorf("got %+v, %v", got.Signature, err)
		}
	})
	t.Run("mapping is copied", func(t *testing.T) {
		got, err := cur.Update(ReceiverSpec{Name: "x"}, []string{"name"})
		if err != nil {
			t.Fatal(err)
		}
		got.StatusMapping["green"] = "operational"
		if _, ok := cur.StatusMapping["green"]; ok {
			t.Error("update shares the current mapping")
		}
	})
	for _, paths := range [][]string{nil, {"token"}} {
		_, err := cur.Update(ReceiverSpec{}, paths)
		var verr *ValidationError
		if !errors.As(err, &verr) || verr.Field != "update_paths" {
			t.Errorf("paths %v: error = %v, want update_paths", paths, err)
		}
	}
}

func TestTokens(t *testing.T) {
	tok := strings.Repeat("ab", 32)
	if !ValidToken(tok) {
		t.Error("64 lowercase hex refused")
	}
	for _, bad := range []string{"", tok[:63], strings.ToUpper(tok), tok[:63] + "g"} {
		if ValidToken(bad) {
			t.Errorf("ValidToken(%q) = true", bad)
		}
	}
	if TokenPrefix(tok) != "abababab" {
		t.Errorf("prefix = %q", TokenPrefix(tok))
	}
	if h := HashToken(tok); len(h) != 32 || string(h) == string(HashToken(tok[:63]+"c")) {
		t.Errorf("hash = %x", h)
	}
}

// Normalizing never panics, and a normalized spec is normalized already:
// saving a receiver read back from the store changes nothing.
func FuzzReceiverSpecNormalize(f *testing.F) {
	f.Add("CI", "", "data.service", "status", "message", "red", "down", "s3cret", "X-Sig", "hex", "major")
	f.Add(" x ", "svc_1", "", "", "", "", "", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", "standard-webhooks", "")
	f.Fuzz(func(t *testing.T, name, serviceID, nameField, statusField, messageField, key, value, secret, header, scheme, severity string) {
		spec := ReceiverSpec{
			Name: name, ServiceID: serviceID, ServiceNameField: nameField, StatusField: statusField, MessageField: messageField,
			StatusMapping: map[string]string{key: value}, AutoIncident: AutoIncident{Severity: Severity(severity)},
		}
		if secret != "" {
			spec.Signature = &Signature{Secret: secret, Header: header, Scheme: scheme}
		}
		once, err := spec.Normalize()
		if err != nil {
			return
		}
		twice, err := once.Normalize()
		if err != nil {
			t.Fatalf("normalized spec %+v refused: %v", once, err)
		}
		sameSig := (once.Signature == nil) == (twice.Signature == nil) && (once.Signature == nil || *once.Signature == *twice.Signature)
		if twice.Name != once.Name || twice.ServiceNameField != once.ServiceNameField || twice.StatusField != once.StatusField ||
			twice.MessageField != once.MessageField || !sameSig || twice.AutoIncident != once.AutoIncident {
			t.Fatalf("normalized twice %+v, once %+v", twice, once)
		}
	})
}
