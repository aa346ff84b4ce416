package domain

import (
	"strings"
	"testing"
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
