package engine

import (
	"testing"
	"time"
)

var (
	fired = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	now   = fired.Add(time.Minute)
)

func alert(version int64, policy string, ack, resolved bool) Alert {
	return Alert{ID: "alt_1", OrgID: "org_a", PolicyID: policy, Version: version, FiredAt: fired, RuleName: "down", Acknowledged: ack, Resolved: resolved}
}

func TestFollow(t *testing.T) {
	t.Parallel()
	running := &Escalation{Alert: alert(3, "pol_1", false, false), Done: 1, NextAt: fired.Add(5 * time.Minute), Notified: []string{"chn_1"}}
	acked := &Escalation{Alert: alert(4, "pol_1", true, false), Done: 1, Notified: []string{"chn_1"}}
	tombstone := &Escalation{Alert: alert(5, "", true, false)}
	tests := []struct {
		name         string
		cur          *Escalation
		event        Alert
		wantActive   bool
		wantAck      bool
		wantResolved bool
		wantAckNow   bool // acknowledgements owed now
		wantNow      bool // resolutions owed now
		wantVersion  int64
		wantPolicy   string
	}{
		{"a group notification starts it", nil, alert(3, "pol_1", false, false), true, false, false, false, false, 3, "pol_1"},
		{"the same notification again changes nothing", running, alert(3, "pol_1", false, false), true, false, false, false, false, 3, "pol_1"},
		{"an acknowledgement stops it", running, alert(4, "", true, false), false, true, false, true, false, 4, "pol_1"},
		{"an older event after the acknowledgement is ignored", acked, alert(3, "pol_1", false, false), false, true, false, false, false, 4, "pol_1"},
		{"a newer unacknowledged version resumes it", acked, alert(5, "pol_1", false, false), true, false, false, false, false, 5, "pol_1"},
		{"a resolution stops it and owes resolutions", running, alert(4, "", false, true), false, false, true, false, true, 4, "pol_1"},
		{"a resolution of an acknowledged alert owes them too", acked, alert(5, "", true, true), false, true, true, false, true, 5, "pol_1"},
		{"a resolution is final", &Escalation{Alert: alert(5, "pol_1", false, true)}, alert(6, "pol_1", false, false), false, false, true, false, false, 6, "pol_1"},
		{"a resolution seen twice owes once", &Escalation{Alert: alert(5, "pol_1", false, true)}, alert(5, "", false, true), false, false, true, false, false, 5, "pol_1"},
		{"an acknowledgement before the notification keeps it stopped", tombstone, alert(3, "pol_1", false, false), false, true, false, false, false, 5, "pol_1"},
		{"an acknowledgement and resolution at once owe only resolutions", running, alert(4, "", true, true), false, true, true, false, true, 4, "pol_1"},
		{"an acknowledgement seen twice owes once", acked, alert(4, "", true, false), false, true, false, false, false, 4, "pol_1"},
		{"an acknowledgement after a resumption owes again (under the same keys)", &Escalation{Alert: alert(5, "pol_1", false, false), Done: 1, Notified: []string{"chn_1"}}, alert(6, "", true, false), false, true, false, true, false, 6, "pol_1"},
		{"an alert without a firing time waits", nil, Alert{ID: "alt_1", OrgID: "org_a", PolicyID: "pol_1", Version: 1}, false, false, false, false, false, 1, "pol_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, change := Follow(tt.cur, tt.event, now)
			a := got.Alert
			if got.Active() != tt.wantActive || a.Acknowledged != tt.wantAck || a.Resolved != tt.wantResolved ||
				change.Acknowledged != tt.wantAckNow || change.Resolved != tt.wantNow || a.Version != tt.wantVersion || a.PolicyID != tt.wantPolicy {
				t.Fatalf("Follow = %+v, change %+v", got, change)
			}
			if tt.wantActive != !got.NextAt.IsZero() || tt.wantActive && !got.NextAt.Equal(now) {
				t.Fatalf("NextAt = %s, active %v", got.NextAt, tt.wantActive)
			}
			if tt.cur != nil && (got.Done != tt.cur.Done || len(got.Notified) != len(tt.cur.Notified)) {
				t.Fatalf("Follow lost the steps done or the recipients: %+v", got)
			}
			if !a.FiredAt.Equal(fired) && tt.event.FiredAt.Equal(fired) {
				t.Fatalf("FiredAt = %s", a.FiredAt)
			}
		})
	}
}
