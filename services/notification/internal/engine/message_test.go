package engine

import (
	"testing"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	e := Escalation{Alert: Alert{ID: "alt_1", OrgID: "org_a", FiredAt: fired, RuleName: "Checkout down", ServiceName: "Checkout", Severity: "critical"}}
	step := escalation.Notifications("alt_1", []escalation.Due{{Round: 1, Step: 1, Targets: []escalation.Target{{ChannelID: "chn_01jz00000000000000000000c1"}}}},
		func(t escalation.Target) []string { return []string{t.ChannelID} })[0]
	m := Message(e, step, "", now)
	c := m.GetContent()
	if m.GetChannelId() != "chn_01jz00000000000000000000c1" || m.GetIdempotencyKey() != "alt_1/1/1/chn_01jz00000000000000000000c1" || m.GetOrgId() != "org_a" || m.GetSource() != Source ||
		c.GetKind() != notificationv1.Kind_KIND_TRIGGER || c.GetSeverity() != notificationv1.Severity_SEVERITY_CRITICAL ||
		c.GetTitle() != "Checkout down on Checkout" || c.GetAlertId() != "alt_1" || !m.GetCreatedAt().AsTime().Equal(now) {
		t.Fatalf("trigger %v", m)
	}
	if want := "The alert alt_1 has been firing since 2026-12-03T14:00:00Z and nobody has acknowledged it (escalation step 2, repeat 1)."; c.GetText() != want {
		t.Fatalf("text %q, want %q", c.GetText(), want)
	}
	res := Message(e, escalation.Resolutions("alt_1", []string{"usr_01jz00000000000000000000u1"})[0], "ada@example.com", now)
	if res.GetEmail().GetAddress() != "ada@example.com" || res.GetIdempotencyKey() != "alt_1/resolved/usr_01jz00000000000000000000u1" ||
		res.GetContent().GetKind() != notificationv1.Kind_KIND_RESOLVE {
		t.Fatalf("resolution %v", res)
	}
	ack := Message(e, escalation.Acknowledgements("alt_1", []string{"chn_01jz00000000000000000000c1"})[0], "", now)
	if ack.GetChannelId() != "chn_01jz00000000000000000000c1" || ack.GetIdempotencyKey() != "alt_1/acknowledged/chn_01jz00000000000000000000c1" ||
		ack.GetContent().GetKind() != notificationv1.Kind_KIND_ACKNOWLEDGE || ack.GetContent().GetAlertId() != "alt_1" ||
		ack.GetContent().GetText() != "The alert alt_1 fired at 2026-12-03T14:00:00Z is acknowledged." {
		t.Fatalf("acknowledgement %v", ack)
	}
}
