package tail

import (
	"errors"
	"testing"
)

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"upstate.status.>", "upstate.status.>", true},
		{"upstate.status.org_1.svc_1", "upstate.status.>", true},
		{"upstate.*.org_1.svc_1", "upstate.incidents.>", true},
		{"upstate.>", "upstate.incidents.>", true},
		{">", "upstate.sla.>", true},
		{"upstate.status.*", "upstate.status.>", true},
		{"upstate.status.org_1.*", "upstate.status.*.svc_1", true},
		{"upstate.ingest.>", "upstate.status.>", false},
		{"upstate.status", "upstate.status.>", false},
		{"upstate.status.a.b", "upstate.status.*", false},
		{"other", "upstate.status.>", false},
	} {
		if got := Overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Overlap(tc.b, tc.a); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestPlan(t *testing.T) {
	plan, err := Plan(Options{Streams: DefaultStreams, Subject: "upstate.incidents.org_1.>"})
	if err != nil || len(plan) != 1 || plan["INCIDENTS"] != "upstate.incidents.org_1.>" {
		t.Fatalf("Plan = %v, %v", plan, err)
	}
	plan, err = Plan(Options{Streams: DefaultStreams})
	if err != nil || plan["STATUS"] != "upstate.status.>" || plan["INCIDENTS"] != "upstate.incidents.>" {
		t.Fatalf("Plan = %v, %v", plan, err)
	}
	if _, err := Plan(Options{Streams: DefaultStreams, Subject: "upstate.alerts.>"}); !errors.Is(err, ErrNoStream) {
		t.Fatalf("a subject of another stream: %v", err)
	}
	if _, err := Plan(Options{Streams: []string{"INGEST"}}); err == nil {
		t.Fatal("INGEST is not a stream to tail")
	}
}
