package domain

import (
	"strings"
	"testing"
	"time"
)

func TestKeyName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"CI", "CI", true},
		{"  deploy bot \n", "deploy bot", true},
		{strings.Repeat("é", MaxKeyNameLen), strings.Repeat("é", MaxKeyNameLen), true},
		{"", "", false},
		{" \t ", "", false},
		{strings.Repeat("x", MaxKeyNameLen+1), "", false},
	}
	for _, tt := range tests {
		got, err := KeyName(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("KeyName(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestKeyExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { e := now.Add(d); return &e }
	tests := []struct {
		expires *time.Time
		expired bool // at now
		valid   bool // as the expiry of a key created now
	}{
		{nil, false, true},
		{at(time.Nanosecond), false, true},
		{at(0), true, false},
		{at(-time.Hour), true, false},
	}
	for _, tt := range tests {
		k := APIKey{ExpiresAt: tt.expires}
		if got := k.Expired(now); got != tt.expired {
			t.Errorf("Expired(%v) at %v = %v, want %v", tt.expires, now, got, tt.expired)
		}
		if tt.expires == nil {
			continue
		}
		if err := KeyExpiry(*tt.expires, now); (err == nil) != tt.valid {
			t.Errorf("KeyExpiry(%v, %v) = %v, want valid %v", *tt.expires, now, err, tt.valid)
		}
	}
}
