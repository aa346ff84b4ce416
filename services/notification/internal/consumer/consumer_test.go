package consumer

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// msg is a stream message as a consumer reads it: its body and ce-type.
type msg struct {
	jetstream.Msg
	data []byte
	typ  string
}

func (m msg) Data() []byte         { return m.data }
func (m msg) Subject() string      { return "upstate.test" }
func (m msg) Headers() nats.Header { return nats.Header{bus.HeaderCEType: []string{m.typ}} }
func message(tb testing.TB, m proto.Message) msg {
	tb.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return msg{data: data, typ: typeOf(m)}
}

func TestDecodeAlerts(t *testing.T) {
	t.Parallel()
	fired := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	firing := &alertingv1.Alert{Id: "alt_1", OrgId: "org_a", Version: 2, RuleName: "down", ServiceName: "API", Severity: alertingv1.Severity_SEVERITY_CRITICAL,
		State: alertingv1.AlertState_ALERT_STATE_FIRING, FiredAt: timestamppb.New(fired)}
	resolved := &alertingv1.Alert{Id: "alt_2", OrgId: "org_a", Version: 5, State: alertingv1.AlertState_ALERT_STATE_RESOLVED, FiredAt: timestamppb.New(fired)}
	acked := &alertingv1.Alert{Id: "alt_1", OrgId: "org_a", Version: 3, AcknowledgedAt: timestamppb.New(fired.Add(time.Minute))}

	as, err := decodeAlerts(message(t, &alertingv1.AlertGroupNotify{OrgId: "org_a", EscalationPolicyId: "pol_1", Firing: []*alertingv1.Alert{firing}, Resolved: []*alertingv1.Alert{resolved}}))
	if err != nil || len(as) != 2 {
		t.Fatalf("group notification: %v, %v", as, err)
	}
	if a := as[0]; a.PolicyID != "pol_1" || a.Version != 2 || !a.FiredAt.Equal(fired) || a.Severity != "critical" || a.Resolved || a.Acknowledged {
		t.Errorf("firing alert %+v", a)
	}
	if a := as[1]; !a.Resolved || a.PolicyID != "pol_1" {
		t.Errorf("resolved alert %+v", a)
	}
	if as, err := decodeAlerts(message(t, &alertingv1.AlertGroupNotify{OrgId: "org_a", Firing: []*alertingv1.Alert{firing}})); err != nil || len(as) != 0 {
		t.Errorf("a rule without a policy: %v, %v", as, err)
	}
	if as, err := decodeAlerts(message(t, &alertingv1.AlertAcknowledged{Alert: acked})); err != nil || len(as) != 1 || !as[0].Acknowledged || as[0].PolicyID != "" {
		t.Errorf("acknowledgement: %v, %v", as, err)
	}
	if as, err := decodeAlerts(message(t, &alertingv1.AlertResolved{Alert: resolved})); err != nil || len(as) != 1 || !as[0].Resolved {
		t.Errorf("resolution: %v, %v", as, err)
	}
	if as, err := decodeAlerts(message(t, &alertingv1.AlertFiring{Alert: firing})); err != nil || len(as) != 0 {
		t.Errorf("a firing alert alone escalates nothing: %v, %v", as, err)
	}
	if _, err := decodeAlerts(message(t, &alertingv1.AlertAcknowledged{Alert: &alertingv1.Alert{Id: "alt_1", OrgId: "org_a"}})); err == nil {
		t.Error("an alert without a version accepted")
	}
	if _, err := decodeAlerts(msg{data: []byte{0xff}, typ: typeResolved}); err == nil {
		t.Error("a body that is not the message accepted")
	}
}

func TestDecodeIncident(t *testing.T) {
	t.Parallel()
	inc := &incidentsv1.Incident{Id: "inc_1", OrgId: "org_a", Title: "API errors", Version: 2, ServiceIds: []string{"svc_1"},
		Updates: []*incidentsv1.IncidentUpdate{{Message: "Looking into it"}}}
	ev, ok, err := decodeIncident(message(t, &incidentsv1.IncidentOpened{Incident: inc}))
	if err != nil || !ok || ev.kind != "incident.opened" || ev.title != "Incident: API errors" || ev.text != "Looking into it" || ev.version != 2 || !ev.incident {
		t.Fatalf("incident opened: %+v, %v, %v", ev, ok, err)
	}
	if ev, ok, err := decodeIncident(message(t, &incidentsv1.IncidentResolved{Incident: inc})); err != nil || !ok || !ev.resolved || content(ev).GetKind().String() != "KIND_RESOLVE" {
		t.Fatalf("incident resolved: %+v, %v, %v", ev, ok, err)
	}
	mw := &incidentsv1.Maintenance{Id: "mnt_1", OrgId: "org_a", Title: "Upgrade", Message: "Database upgrade", Version: 3, ServiceIds: []string{"svc_1"}}
	ev, ok, err = decodeIncident(message(t, &incidentsv1.MaintenanceStarted{Maintenance: mw}))
	if err != nil || !ok || ev.kind != "maintenance.started" || ev.title != "Maintenance started: Upgrade" || ev.incident || content(ev).GetKind().String() != "KIND_INFO" {
		t.Fatalf("maintenance started: %+v, %v, %v", ev, ok, err)
	}
	if _, ok, err := decodeIncident(msg{typ: "upstate.incidents.v1.Unknown"}); ok || err != nil {
		t.Fatalf("an unknown type: %v, %v", ok, err)
	}
	if _, _, err := decodeIncident(message(t, &incidentsv1.IncidentUpdated{Incident: &incidentsv1.Incident{Id: "inc_1"}})); err == nil {
		t.Fatal("an incident without organisation or version accepted")
	}
}
