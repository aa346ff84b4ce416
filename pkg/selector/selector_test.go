package selector

import (
	"errors"
	"strings"
	"testing"
)

func TestSelects(t *testing.T) {
	t.Parallel()
	tags := map[string]string{"team": "payments", "tier": "1"}
	tests := []struct {
		name string
		sel  Selector
		id   string
		want bool
	}{
		{"all", Selector{All: true}, "svc_1", true},
		{"listed id", Selector{ServiceIDs: []string{"svc_2", "svc_1"}}, "svc_1", true},
		{"unlisted id", Selector{ServiceIDs: []string{"svc_2"}}, "svc_1", false},
		{"every tag", Selector{Tags: map[string]string{"team": "payments", "tier": "1"}}, "svc_1", true},
		{"a tag with another value", Selector{Tags: map[string]string{"team": "search"}}, "svc_1", false},
		{"a missing tag", Selector{Tags: map[string]string{"region": "eu"}}, "svc_1", false},
		{"empty picks nothing", Selector{}, "svc_1", false},
	}
	for _, tt := range tests {
		if got := tt.sel.Selects(tt.id, tags); got != tt.want {
			t.Errorf("%s: Selects = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	many := make([]string, MaxServiceIDs+1)
	for i := range many {
		many[i] = "svc_" + strings.Repeat("a", i+1)
	}
	tests := []struct {
		name      string
		sel       Selector
		wantField string // "" valid
	}{
		{"all", Selector{All: true}, ""},
		{"ids", Selector{ServiceIDs: []string{"svc_1"}}, ""},
		{"tags", Selector{Tags: map[string]string{"team": "a"}}, ""},
		{"none", Selector{}, "selector"},
		{"two kinds", Selector{All: true, ServiceIDs: []string{"svc_1"}}, "selector"},
		{"too many ids", Selector{ServiceIDs: many}, "selector.service_ids"},
		{"a bad key", Selector{Tags: map[string]string{"-x": "a"}}, "selector.tags"},
		{"a long value", Selector{Tags: map[string]string{"x": strings.Repeat("v", MaxValueLen+1)}}, "selector.tags"},
	}
	for _, tt := range tests {
		err := tt.sel.Validate("selector")
		var serr *Error
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantField != "" && (!errors.As(err, &serr) || serr.Field != tt.wantField):
			t.Errorf("%s: error %v, want one on %s", tt.name, err, tt.wantField)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	got := Selector{ServiceIDs: []string{"svc_2", "svc_1", "svc_2"}}.Normalize().ServiceIDs
	if strings.Join(got, ",") != "svc_2,svc_1" {
		t.Fatalf("Normalize = %v", got)
	}
}
