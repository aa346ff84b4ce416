// Package consumer applies the events the notification service follows:
// ALERTS, whose alerts the escalation engine follows (store.Escalations),
// and INCIDENTS, whose events are routed to channels (routes). Both
// durables start from now when first created: a first deployment pages
// nobody for the streams' history.
package consumer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	"github.com/upstatehq/upstate/services/notification/internal/engine"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// The notification service's durable consumers; its replicas share them.
const (
	// AlertsDurable consumes ALERTS.
	AlertsDurable = "notification-alerts"
	// IncidentsDurable consumes INCIDENTS.
	IncidentsDurable = "notification-incidents"
)

// Consumer is a running consumer.
type Consumer struct{ c *bus.Consumer }

// Stop stops pulling and returns once what was received is applied.
func (c *Consumer) Stop(ctx context.Context) error { return c.c.Stop(ctx) }

func start(ctx context.Context, js jetstream.JetStream, stream, durable, subjects string, h bus.BatchHandler, logger *slog.Logger) (*Consumer, error) {
	bc, err := bus.ConsumeBatch(ctx, js, bus.ConsumerConfig{
		Stream: stream, Durable: durable, FilterSubjects: []string{subjects},
		Concurrency: 2, MaxBatch: 128, BatchSize: 256,
		Start:       bus.FromNow,
		Unavailable: pgdb.IsUnavailable,
	}, h, logger)
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", stream, err)
	}
	return &Consumer{c: bc}, nil
}

func typeOf(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }

var (
	typeGroupNotify  = typeOf((*alertingv1.AlertGroupNotify)(nil))
	typeAcknowledged = typeOf((*alertingv1.AlertAcknowledged)(nil))
	typeResolved     = typeOf((*alertingv1.AlertResolved)(nil))
)

// StartAlerts consumes ALERTS: a group notification starts (or
// continues) the escalation of its firing alerts on the rule's policy
// and resolves its resolved ones; an acknowledgement stops an
// escalation and acknowledges the PagerDuty channels it paged, a
// resolution stops it and sends the resolutions. A batch
// is applied in one transaction; due escalations are handed to the
// scheduler (due).
func StartAlerts(ctx context.Context, js jetstream.JetStream, esc *store.Escalations, due func(), clock clockwork.Clock, logger *slog.Logger) (*Consumer, error) {
	return start(ctx, js, bus.StreamAlerts, AlertsDurable, bus.SubjectsAlerts, func(ctx context.Context, msgs []jetstream.Msg) error {
		var alerts []engine.Alert
		for _, msg := range msgs {
			as, err := decodeAlerts(msg)
			if err != nil {
				return bus.Permanent(err)
			}
			alerts = append(alerts, as...)
		}
		if len(alerts) == 0 {
			return nil
		}
		if _, err := esc.Follow(ctx, alerts, pgdb.Now(clock)); err != nil {
			return err
		}
		due()
		return nil
	}, logger)
}

// decodeAlerts reads the alerts an ALERTS event tells of; none for the
// events the engine does not follow (AlertFiring: a firing alert is
// escalated once its group notifies, which leaves silenced ones out).
func decodeAlerts(msg jetstream.Msg) ([]engine.Alert, error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	var out []engine.Alert
	switch typ {
	case typeGroupNotify:
		var m alertingv1.AlertGroupNotify
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", typ, err)
		}
		if m.GetEscalationPolicyId() == "" {
			return nil, nil
		}
		for _, a := range append(m.GetFiring(), m.GetResolved()...) {
			out = append(out, alertOf(a, m.GetEscalationPolicyId()))
		}
	case typeAcknowledged, typeResolved:
		var m interface {
			proto.Message
			GetAlert() *alertingv1.Alert
		} = &alertingv1.AlertAcknowledged{}
		if typ == typeResolved {
			m = &alertingv1.AlertResolved{}
		}
		if err := proto.Unmarshal(msg.Data(), m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", typ, err)
		}
		out = append(out, alertOf(m.GetAlert(), ""))
	default:
		return nil, nil
	}
	for _, a := range out {
		if a.ID == "" || a.OrgID == "" || a.Version <= 0 {
			return nil, fmt.Errorf("%s on %s has an alert without id, org or version", typ, msg.Subject())
		}
	}
	return out, nil
}

var severities = map[alertingv1.Severity]string{
	alertingv1.Severity_SEVERITY_INFO:     "info",
	alertingv1.Severity_SEVERITY_WARNING:  "warning",
	alertingv1.Severity_SEVERITY_CRITICAL: "critical",
}

func alertOf(a *alertingv1.Alert, policyID string) engine.Alert {
	out := engine.Alert{
		ID: a.GetId(), OrgID: a.GetOrgId(), PolicyID: policyID, Version: a.GetVersion(),
		RuleName: a.GetRuleName(), ServiceID: a.GetServiceId(), ServiceName: a.GetServiceName(), Severity: severities[a.GetSeverity()],
		Acknowledged: a.GetAcknowledgedAt() != nil,
		Resolved:     a.GetState() == alertingv1.AlertState_ALERT_STATE_RESOLVED || a.GetResolvedAt() != nil,
	}
	if a.GetFiredAt() != nil {
		out.FiredAt = a.GetFiredAt().AsTime().UTC()
	}
	return out
}
