package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func opened(t *testing.T) Incident {
	t.Helper()
	n := NewIncident{Title: "  Checkout errors ", Severity: Major, ServiceIDs: []string{"svc_1", "svc_1", "svc_2"}, Author: "key_1"}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	return n.Open("inc_1", "org_a", t0)
}

func TestNewIncident(t *testing.T) {
	i := opened(t)
	if i.Title != "Checkout errors" || i.Status != Investigating || len(i.ServiceIDs) != 2 || i.Version != 1 ||
		len(i.Updates) != 1 || i.Updates[0].Author != "key_1" || i.Source != SourceManual {
		t.Fatalf("incident = %+v", i)
	}
	for name, n := range map[string]NewIncident{
		"no title":     {Severity: Major},
		"long title":   {Title: strings.Repeat("x", MaxTitle+1), Severity: Major},
		"no severity":  {Title: "x"},
		"resolved":     {Title: "x", Severity: Major, Status: Resolved},
		"empty id":     {Title: "x", Severity: Major, ServiceIDs: []string{""}},
		"long message": {Title: "x", Severity: Major, Message: strings.Repeat("x", MaxMessage+1)},
	} {
		var verr *ValidationError
		if err := n.Validate(); !errors.As(err, &verr) {
			t.Errorf("%s: err = %v, want a validation error", name, err)
		}
	}
}

func TestIncidentTransitions(t *testing.T) {
	i := opened(t)
	t1 := t0.Add(time.Hour)
	// Open statuses move freely, including back.
	for _, s := range []IncidentStatus{Identified, Monitoring, Identified, Resolved} {
		var err error
		if i, err = AddUpdate(i, s, "step", "key_1", t1); err != nil {
			t.Fatalf("→ %s: %v", s, err)
		}
	}
	if i.Status != Resolved || !i.ResolvedAt.Equal(t1) || i.Version != 5 || len(i.Updates) != 5 {
		t.Fatalf("resolved incident = %+v", i)
	}
	// A resolved incident takes notes but does not go back.
	if _, err := AddUpdate(i, "", "post-mortem linked", "key_1", t1); err != nil {
		t.Fatalf("note on resolved: %v", err)
	}
	var terr *TransitionError
	if _, err := AddUpdate(i, Monitoring, "again", "key_1", t1); !errors.As(err, &terr) {
		t.Fatalf("resolved → monitoring: err = %v, want a transition error", err)
	}
	if _, _, err := (Patch{Status: Investigating}).Apply(i, t1); !errors.As(err, &terr) {
		t.Fatalf("patch resolved → investigating: err = %v, want a transition error", err)
	}
	// Other fields of a resolved incident may still be corrected.
	title := "Checkout errors (EU)"
	after, changed, err := (Patch{Title: &title}).Apply(i, t1)
	if err != nil || !changed || after.Title != title || after.Version != i.Version+1 {
		t.Fatalf("retitle = %+v, %v, %v", after, changed, err)
	}
	if _, changed, _ := (Patch{Title: &title}).Apply(after, t1); changed {
		t.Fatal("a patch that changes nothing reported a change")
	}
	if _, err := AddUpdate(i, "", " ", "key_1", t1); err == nil {
		t.Fatal("an update without a message was accepted")
	}
}

func TestPlanAuto(t *testing.T) {
	open := &Incident{Status: Investigating}
	c := func(receiver string, auto bool, s ServiceStatus) StatusChange {
		return StatusChange{ReceiverID: receiver, AutoIncident: auto, Status: s}
	}
	tests := []struct {
		name string
		c    StatusChange
		open *Incident
		want AutoAction
	}{
		{"api change", c("", true, StatusDown), nil, AutoNone},
		{"down opens", c("whr_a", true, StatusDown), nil, AutoOpen},
		{"degraded opens", c("whr_a", true, StatusDegraded), nil, AutoOpen},
		{"maintenance opens nothing", c("whr_a", true, StatusMaintenance), nil, AutoNone},
		{"operational without incident", c("whr_a", true, StatusOperational), nil, AutoNone},
		{"disabled opens nothing", c("whr_a", false, StatusDown), nil, AutoNone},
		{"open incident noted", c("whr_a", true, StatusDown), open, AutoNote},
		{"maintenance noted", c("whr_a", true, StatusMaintenance), open, AutoNote},
		{"operational resolves", c("whr_a", true, StatusOperational), open, AutoResolve},
		{"disabled still resolves", c("whr_a", false, StatusOperational), open, AutoResolve},
	}
	for _, tt := range tests {
		if got := PlanAuto(tt.c, tt.open); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMaintenanceRules(t *testing.T) {
	now := t0
	n := NewMaintenance{Title: "DB upgrade", ServiceIDs: []string{"svc_1"}, StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour)}
	if err := n.Validate(now); err != nil {
		t.Fatal(err)
	}
	m := n.Schedule("mnt_1", "org_a", now)
	if m.Due(now) || !m.Due(now.Add(time.Hour)) {
		t.Fatal("a scheduled window is due at its start, not before")
	}
	for name, bad := range map[string]NewMaintenance{
		"no services":     {Title: "x", StartsAt: now, EndsAt: now.Add(time.Hour)},
		"end before":      {Title: "x", ServiceIDs: []string{"svc_1"}, StartsAt: now.Add(time.Hour), EndsAt: now},
		"already over":    {Title: "x", ServiceIDs: []string{"svc_1"}, StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)},
		"no start":        {Title: "x", ServiceIDs: []string{"svc_1"}, EndsAt: now.Add(time.Hour)},
		"too many titles": {Title: strings.Repeat("x", MaxTitle+1), ServiceIDs: []string{"svc_1"}, StartsAt: now, EndsAt: now.Add(time.Hour)},
	} {
		if err := bad.Validate(now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m.Status = InProgress
	later := now.Add(3 * time.Hour)
	if _, err := (MaintenancePatch{StartsAt: &later}).Apply(m, now); err == nil {
		t.Fatal("moving the start of a window in progress was accepted")
	}
	after, err := (MaintenancePatch{EndsAt: &later}).Apply(m, now)
	if err != nil || !after.EndsAt.Equal(later) || after.Version != m.Version+1 {
		t.Fatalf("extend = %+v, %v", after, err)
	}
	m.Status = Completed
	var terr *TransitionError
	if _, err := (MaintenancePatch{EndsAt: &later}).Apply(m, now); !errors.As(err, &terr) {
		t.Fatalf("patching a completed window: %v", err)
	}
}
