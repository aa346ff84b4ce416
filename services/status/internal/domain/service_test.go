package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func ptr(s string) *string { return &s }

func ver(v int64) *int64 { return &v }

func TestApply(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	// Its status was set at version 4, and it was edited twice since.
	base := Service{ID: "svc_1", Status: Operational, StatusDescription: "all good", StatusChangedAt: t0, UpdatedAt: t0,
		Version: 6, StatusVersion: 4}

	tests := []struct {
		name        string
		report      Report
		wantOutcome Outcome
		wantStatus  Status
		wantDesc    string
		// wantVersion is the version after, which is also the status
		// version after a change.
		wantVersion int64
		wantChanged time.Time
	}{
		{"same status no description", Report{Status: Operational, At: t1}, Unchanged, Operational, "all good", 6, t0},
		{"same status same description", Report{Status: Operational, Description: ptr("all good"), At: t1}, Unchanged, Operational, "all good", 6, t0},
		{"same status new description", Report{Status: Operational, Description: ptr("still fine"), At: t1}, DescriptionUpdated, Operational, "still fine", 6, t0},
		{"new status with description", Report{Status: Down, Description: ptr("db down"), Source: SourceAPI, Actor: "key_1", At: t1}, StatusChanged, Down, "db down", 7, t1},
		{"new status clears old description", Report{Status: Degraded, At: t1}, StatusChanged, Degraded, "", 7, t1},
		{"expected version is the status version", Report{Status: Down, At: t1, ExpectedVersion: ver(4)}, StatusChanged, Down, "", 7, t1},
		{"expected version is older", Report{Status: Down, At: t1, ExpectedVersion: ver(3)}, VersionMismatch, Operational, "all good", 6, t0},
		{"expected version is the latest event's, not the status's", Report{Status: Down, At: t1, ExpectedVersion: ver(6)}, VersionMismatch, Operational, "all good", 6, t0},
		{"expected version mismatch wins over a repeat", Report{Status: Operational, At: t1, ExpectedVersion: ver(5)}, VersionMismatch, Operational, "all good", 6, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ch, outcome := Apply(base, tt.report)
			if outcome != tt.wantOutcome {
				t.Fatalf("outcome = %v, want %v", outcome, tt.wantOutcome)
			}
			if got.Status != tt.wantStatus || got.StatusDescription != tt.wantDesc || got.Version != tt.wantVersion {
				t.Fatalf("service = %+v", got)
			}
			wantStatusVersion := base.StatusVersion
			if outcome == StatusChanged {
				wantStatusVersion = tt.wantVersion
			}
			if got.StatusVersion != wantStatusVersion {
				t.Fatalf("status version = %d, want %d", got.StatusVersion, wantStatusVersion)
			}
			if !got.StatusChangedAt.Equal(tt.wantChanged) {
				t.Fatalf("status_changed_at = %v, want %v", got.StatusChangedAt, tt.wantChanged)
			}
			if (ch != nil) != (outcome == StatusChanged) {
				t.Fatalf("change = %+v for outcome %v", ch, outcome)
			}
			if ch != nil {
				if ch.Previous != base.Status || ch.Status != tt.wantStatus || ch.Version != base.Version+1 || ch.Actor != tt.report.Actor {
					t.Fatalf("change = %+v", ch)
				}
			}
		})
	}
}

func TestServiceEventsTakeTheNextVersion(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	s := NewService("svc_1", "org_1", "API", "public API", Down, t0)
	if s.Version != 1 || s.StatusVersion != 1 || s.Status != Down || !s.StatusChangedAt.Equal(t0) {
		t.Fatalf("new service = %+v", s)
	}

	tests := []struct {
		name              string
		newName, newDesc  *string
		wantChanged       bool
		wantName, wantDsc string
	}{
		{"nothing given", nil, nil, false, "API", "public API"},
		{"same name and description", ptr("API"), ptr("public API"), false, "API", "public API"},
		{"new name", ptr("Public API"), nil, true, "Public API", "public API"},
		{"name in another case", ptr("api"), nil, true, "api", "public API"},
		{"new description", nil, ptr(""), true, "API", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := Edit(s, ServiceEdit{Name: tt.newName, Description: tt.newDesc}, t1)
			if changed != tt.wantChanged || got.Name != tt.wantName || got.Description != tt.wantDsc {
				t.Fatalf("Edit = %+v, %v", got, changed)
			}
			wantVersion, wantUpdated := s.Version, s.UpdatedAt
			if changed {
				wantVersion, wantUpdated = s.Version+1, t1
			}
			if got.Version != wantVersion || !got.UpdatedAt.Equal(wantUpdated) || got.StatusVersion != s.StatusVersion {
				t.Fatalf("Edit = %+v, want version %d updated at %v, status version %d", got, wantVersion, wantUpdated, s.StatusVersion)
			}
		})
	}

	edited, _ := Edit(s, ServiceEdit{Name: ptr("Public API")}, t1)
	if d := Delete(edited, t1); d.Version != 3 || !d.UpdatedAt.Equal(t1) {
		t.Fatalf("deleted = %+v, want version 3", d)
	}
}

func TestParseStatus(t *testing.T) {
	for _, in := range []string{"operational", "DOWN", " Degraded ", "maintenance"} {
		if _, err := ParseStatus(in); err != nil {
			t.Errorf("ParseStatus(%q) = %v", in, err)
		}
	}
	for _, in := range []string{"", "up", "broken", "down!"} {
		_, err := ParseStatus(in)
		if !errors.Is(err, ErrInvalidStatus) {
			t.Errorf("ParseStatus(%q) error = %v, want ErrInvalidStatus", in, err)
			continue
		}
		if !strings.Contains(err.Error(), "operational, degraded, down, maintenance") {
			t.Errorf("error %q does not name the valid values", err)
		}
	}
}

func TestValidateName(t *testing.T) {
	if n, err := ValidateName("  API  "); err != nil || n != "API" {
		t.Fatalf("ValidateName = %q, %v", n, err)
	}
	if _, err := ValidateName("   "); err == nil {
		t.Fatal("blank name accepted")
	}
	if _, err := ValidateName(strings.Repeat("é", MaxNameLen)); err != nil {
		t.Fatalf("100 runes rejected: %v", err)
	}
	if _, err := ValidateName(strings.Repeat("a", MaxNameLen+1)); err == nil {
		t.Fatal("101 characters accepted")
	}
}

func TestValidateTags(t *testing.T) {
	long := strings.Repeat("x", MaxTagValueLen+1)
	many := map[string]string{}
	for i := range MaxTags + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name string
		tags map[string]string
		ok   bool
	}{
		{"none", nil, true},
		{"plain", map[string]string{"team": "payments", "k8s.io/zone": "eu-1", "tier_1": ""}, true},
		{"empty key", map[string]string{"": "x"}, false},
		{"key with a space", map[string]string{"my team": "x"}, false},
		{"key starting with a dot", map[string]string{".team": "x"}, false},
		{"key too long", map[string]string{strings.Repeat("k", MaxTagKeyLen+1): "x"}, false},
		{"value too long", map[string]string{"team": long}, false},
		{"too many", many, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTags(tt.tags)
			var verr *ValidationError
			if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &verr) || verr.Field != "tags")) {
				t.Fatalf("ValidateTags = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestEditTags(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	s := NewService("svc_1", "org_1", "API", "", Operational, t0)
	tags := map[string]string{"team": "payments"}
	tagged, changed := Edit(s, ServiceEdit{Tags: &tags}, t0.Add(time.Minute))
	if !changed || tagged.Version != 2 || tagged.Tags["team"] != "payments" {
		t.Fatalf("tag = %+v, %v", tagged, changed)
	}
	tags["team"] = "search" // the service keeps its own copy
	if tagged.Tags["team"] != "payments" {
		t.Fatalf("the edit kept the caller's map: %v", tagged.Tags)
	}
	again := map[string]string{"team": "payments"}
	if _, changed := Edit(tagged, ServiceEdit{Tags: &again}, t0.Add(2*time.Minute)); changed {
		t.Fatal("the same tags changed the service")
	}
	if _, changed := Edit(tagged, ServiceEdit{Name: ptr("API")}, t0.Add(2*time.Minute)); changed {
		t.Fatal("an edit without tags changed the service")
	}
	none := map[string]string{}
	if untagged, changed := Edit(tagged, ServiceEdit{Tags: &none}, t0.Add(2*time.Minute)); !changed || len(untagged.Tags) != 0 {
		t.Fatalf("untag = %+v, %v", untagged, changed)
	}
}
