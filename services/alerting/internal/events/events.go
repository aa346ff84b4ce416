// Package events builds the events the alerting service writes to its
// outbox for the relay to publish on the ALERTS stream.
package events

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/pbconv"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// CloudEvents attributes of the events published here.
const (
	TypeAlertFiring       = "upstate.alerting.v1.AlertFiring"
	TypeAlertResolved     = "upstate.alerting.v1.AlertResolved"
	TypeAlertAcknowledged = "upstate.alerting.v1.AlertAcknowledged"
	TypeAlertGroupNotify  = "upstate.alerting.v1.AlertGroupNotify"
	Source                = "upstate/alerting"
)

// Announcer builds the events; it implements store.Announcer.
type Announcer struct{}

var _ store.Announcer = Announcer{}

// AlertFiring builds the event announcing that a fired.
func (Announcer) AlertFiring(a domain.Alert) (bus.Event, error) {
	return alertEvent(a, TypeAlertFiring, a.FiredAt, &alertingv1.AlertFiring{Alert: bare(a)})
}

// AlertResolved builds the event announcing that a resolved.
func (Announcer) AlertResolved(a domain.Alert) (bus.Event, error) {
	return alertEvent(a, TypeAlertResolved, a.ResolvedAt, &alertingv1.AlertResolved{Alert: bare(a)})
}

// AlertAcknowledged builds the event announcing that a was acknowledged.
func (Announcer) AlertAcknowledged(a domain.Alert) (bus.Event, error) {
	return alertEvent(a, TypeAlertAcknowledged, a.AckedAt, &alertingv1.AlertAcknowledged{Alert: bare(a)})
}

// GroupNotify builds the notification n of group g. Its id is
// "<group_id>:<seq>".
func (Announcer) GroupNotify(g store.GroupInfo, n domain.Notification, at time.Time) (bus.Event, error) {
	m := &alertingv1.AlertGroupNotify{
		OrgId: g.OrgID, GroupId: g.ID, Seq: g.Seq, RuleId: g.RuleID, RuleName: g.RuleName,
		Severity: pbconv.Severity(g.Severity), EscalationPolicyId: g.EscalationPolicyID, GroupLabels: g.Labels,
		Repeat: n.Repeat, NotifiedAt: timestamppb.New(at),
	}
	for _, a := range n.Firing {
		m.Firing = append(m.Firing, bare(a))
	}
	for _, a := range n.Resolved {
		m.Resolved = append(m.Resolved, bare(a))
	}
	return event(g.OrgID, g.ID, fmt.Sprintf("%s:%d", g.ID, g.Seq), TypeAlertGroupNotify, at, m)
}

// bare is the alert without its history, as events carry it.
func bare(a domain.Alert) *alertingv1.Alert {
	a.History = nil
	return pbconv.Alert(a)
}

// alertEvent wraps an alert's event; its id, used as Nats-Msg-Id, is
// "<alert_id>:<version>".
func alertEvent(a domain.Alert, typ string, at time.Time, m proto.Message) (bus.Event, error) {
	return event(a.OrgID, a.ID, fmt.Sprintf("%s:%d", a.ID, a.Version), typ, at, m)
}

func event(orgID, id, msgID, typ string, at time.Time, m proto.Message) (bus.Event, error) {
	data, err := proto.Marshal(m)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	return bus.Event{Subject: bus.AlertsSubject(orgID, id), ID: msgID, Type: typ, Source: Source, Time: at, Data: data}, nil
}
