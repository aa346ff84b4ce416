package auth

import (
	"slices"
	"strings"
	"testing"
)

func TestAllows(t *testing.T) {
	tests := []struct {
		scopes   []Scope
		resource string
		action   Action
		want     bool
	}{
		{[]Scope{"write"}, "services", Write, true},
		{[]Scope{"write"}, "api_keys", Read, true},
		{[]Scope{"read"}, "services", Read, true},
		{[]Scope{"read"}, "services", Write, false},
		{[]Scope{"services"}, "services", Write, true},
		{[]Scope{"services"}, "services", Read, true},
		{[]Scope{"services"}, "api_keys", Read, false},
		{[]Scope{"services:read"}, "services", Read, true},
		{[]Scope{"services:read"}, "services", Write, false},
		{[]Scope{"api_keys:read", "services"}, "api_keys", Read, true},
		{[]Scope{"webhook_receivers"}, "webhook_receivers", Write, true},
		{[]Scope{"webhook_receivers:read"}, "webhook_receivers", Read, true},
		{[]Scope{"webhook_receivers:read"}, "webhook_receivers", Write, false},
		{[]Scope{"services"}, "webhook_receivers", Read, false},
		{[]Scope{"read"}, "webhook_receivers", Read, true},
		{[]Scope{"incidents"}, "incidents", Write, true},
		{[]Scope{"incidents:read"}, "incidents", Read, true},
		{[]Scope{"incidents:read"}, "incidents", Write, false},
		{[]Scope{"incidents"}, "maintenances", Read, false},
		{[]Scope{"maintenances"}, "maintenances", Write, true},
		{[]Scope{"maintenances:read"}, "maintenances", Read, true},
		{[]Scope{"maintenances:read"}, "maintenances", Write, false},
		{[]Scope{"services"}, "incidents", Read, false},
		{[]Scope{"read"}, "incidents", Read, true},
		{[]Scope{"read"}, "maintenances", Write, false},
		{[]Scope{"write"}, "maintenances", Write, true},
		{[]Scope{"sla"}, "sla", Write, true},
		{[]Scope{"sla:read"}, "sla", Read, true},
		{[]Scope{"sla:read"}, "sla", Write, false},
		{[]Scope{"read"}, "sla", Read, true},
		{[]Scope{"write"}, "sla", Write, true},
		{[]Scope{"services"}, "sla", Read, false},
		{nil, "services", Read, false},
	}
	for _, tt := range tests {
		if got := Allows(tt.scopes, tt.resource, tt.action); got != tt.want {
			t.Errorf("Allows(%v, %s, %v) = %v, want %v", tt.scopes, tt.resource, tt.action, got, tt.want)
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		held, requested []Scope
		want            bool
	}{
		{[]Scope{"write"}, []Scope{"write"}, true},
		{[]Scope{"write"}, []Scope{"read", "services"}, true},
		{[]Scope{"api_keys"}, []Scope{"write"}, false},
		{[]Scope{"api_keys"}, []Scope{"services"}, false},
		{[]Scope{"api_keys", "services"}, []Scope{"services:read"}, true},
		{[]Scope{"read", "api_keys"}, []Scope{"read"}, true},
		{[]Scope{"services:read", "api_keys"}, []Scope{"services"}, false},
		{[]Scope{"services", "api_keys"}, []Scope{"read"}, false},
		{[]Scope{"webhook_receivers"}, []Scope{"webhook_receivers:read"}, true},
		{[]Scope{"read"}, []Scope{"webhook_receivers"}, false},
		{[]Scope{"incidents"}, []Scope{"incidents:read"}, true},
		{[]Scope{"incidents:read"}, []Scope{"incidents"}, false},
		{[]Scope{"incidents"}, []Scope{"maintenances:read"}, false},
		{[]Scope{"read"}, []Scope{"maintenances:read", "incidents:read"}, true},
		{[]Scope{"write"}, []Scope{"maintenances"}, true},
	}
	for _, tt := range tests {
		if got := Covers(tt.held, tt.requested); got != tt.want {
			t.Errorf("Covers(%v, %v) = %v, want %v", tt.held, tt.requested, got, tt.want)
		}
	}
}

func TestMissingAndGrantable(t *testing.T) {
	tests := []struct {
		held, requested, missing []Scope
		grantable                string
	}{
		{[]Scope{"write"}, []Scope{"write", "read"}, nil,
			"read write services services:read api_keys api_keys:read webhook_receivers webhook_receivers:read incidents incidents:read maintenances maintenances:read sla sla:read alerting alerting:read status_pages status_pages:read oncall oncall:read audit audit:read"},
		{[]Scope{"api_keys"}, []Scope{"write", "api_keys:read", "services"}, []Scope{"write", "services"}, "api_keys api_keys:read"},
		{[]Scope{"read"}, []Scope{"services:read", "services"}, []Scope{"services"},
			"read services:read api_keys:read webhook_receivers:read incidents:read maintenances:read sla:read alerting:read status_pages:read oncall:read audit:read"},
		{[]Scope{"api_keys:read"}, []Scope{"api_keys:read"}, nil, "api_keys:read"},
		{nil, []Scope{"read"}, []Scope{"read"}, ""},
	}
	for _, tt := range tests {
		if got := Missing(tt.held, tt.requested); !slices.Equal(got, tt.missing) {
			t.Errorf("Missing(%v, %v) = %v, want %v", tt.held, tt.requested, got, tt.missing)
		}
		var names []string
		for _, s := range Grantable(tt.held) {
			names = append(names, string(s))
		}
		if got := strings.Join(names, " "); got != tt.grantable {
			t.Errorf("Grantable(%v) = %q, want %q", tt.held, got, tt.grantable)
		}
		// A key with only grantable scopes is one Covers allows.
		if !Covers(tt.held, Grantable(tt.held)) {
			t.Errorf("Covers(%v, Grantable) = false", tt.held)
		}
	}
}

func TestParseScopes(t *testing.T) {
	got, err := ParseScopes([]string{"services", "read", "services"})
	if err != nil || len(got) != 2 || got[0] != "read" || got[1] != "services" {
		t.Fatalf("ParseScopes = %v, %v", got, err)
	}
	if _, err := ParseScopes(nil); err == nil {
		t.Fatal("empty scopes accepted")
	}
	_, err = ParseScopes([]string{"admin"})
	if err == nil || !strings.Contains(err.Error(), "services:read") {
		t.Fatalf("unknown scope error = %v, want the valid scopes listed", err)
	}
	for _, s := range []string{"webhook_receivers", "webhook_receivers:read", "incidents", "incidents:read", "maintenances", "maintenances:read"} {
		if _, err := ParseScopes([]string{s}); err != nil {
			t.Errorf("ParseScopes(%q) = %v", s, err)
		}
	}
}

func TestKeys(t *testing.T) {
	k := NewKey()
	if !strings.HasPrefix(k.Secret, KeyPrefix) || len(k.Secret) != len(KeyPrefix)+40 {
		t.Fatalf("secret %q", k.Secret)
	}
	if k.Prefix != k.Secret[:12] || string(k.Hash) != string(Hash(k.Secret)) {
		t.Fatalf("key %+v", k)
	}
	if NewKey().Secret == k.Secret {
		t.Fatal("two keys are equal")
	}
	for _, s := range []string{"ak_live_x", "ak_live_Test-key_1"} {
		if err := ValidateSecret(s); err != nil {
			t.Errorf("ValidateSecret(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "ak_live_", "ak_test_abc", "ak_live_a b", "secret"} {
		if err := ValidateSecret(s); err == nil {
			t.Errorf("ValidateSecret(%q) accepted", s)
		}
	}
}
