// Package pbconv converts between the alerting domain and its protobuf
// messages, shared by the gRPC API and the events.
package pbconv

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/enum"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

var toProtoStatus = map[domain.Status]statusv1.Status{
	domain.Operational: statusv1.Status_STATUS_OPERATIONAL,
	domain.Degraded:    statusv1.Status_STATUS_DEGRADED,
	domain.Down:        statusv1.Status_STATUS_DOWN,
	domain.Maintenance: statusv1.Status_STATUS_MAINTENANCE,
}

// Status converts a domain status.
func Status(s domain.Status) statusv1.Status { return toProtoStatus[s] }

// DomainStatus converts a protobuf status; ok is false for UNSPECIFIED or
// unknown values.
func DomainStatus(s statusv1.Status) (domain.Status, bool) { return enum.Reverse(toProtoStatus, s) }

var toProtoSeverity = map[domain.Severity]alertingv1.Severity{
	domain.Info:     alertingv1.Severity_SEVERITY_INFO,
	domain.Warning:  alertingv1.Severity_SEVERITY_WARNING,
	domain.Critical: alertingv1.Severity_SEVERITY_CRITICAL,
}

// Severity converts a domain severity.
func Severity(s domain.Severity) alertingv1.Severity { return toProtoSeverity[s] }

// DomainSeverity converts a protobuf severity; ok is false for
// UNSPECIFIED or unknown values.
func DomainSeverity(s alertingv1.Severity) (domain.Severity, bool) {
	return enum.Reverse(toProtoSeverity, s)
}

var toProtoState = map[domain.State]alertingv1.AlertState{
	domain.Pending:  alertingv1.AlertState_ALERT_STATE_PENDING,
	domain.Firing:   alertingv1.AlertState_ALERT_STATE_FIRING,
	domain.Resolved: alertingv1.AlertState_ALERT_STATE_RESOLVED,
}

// State converts a domain alert state.
func State(s domain.State) alertingv1.AlertState { return toProtoState[s] }

// DomainState converts a protobuf alert state; UNSPECIFIED is "" (all).
func DomainState(s alertingv1.AlertState) (domain.State, bool) {
	if s == alertingv1.AlertState_ALERT_STATE_UNSPECIFIED {
		return "", true
	}
	return enum.Reverse(toProtoState, s)
}

var toProtoKind = map[domain.EntryKind]alertingv1.AlertHistoryKind{
	domain.EntryPending:        alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_PENDING,
	domain.EntryFiring:         alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_FIRING,
	domain.EntryAcknowledged:   alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_ACKNOWLEDGED,
	domain.EntryUnacknowledged: alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_UNACKNOWLEDGED,
	domain.EntryResolved:       alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_RESOLVED,
	domain.EntryNotified:       alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_NOTIFIED,
	domain.EntryFlapping:       alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_FLAPPING,
	domain.EntryStable:         alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_STABLE,
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Spec converts a rule's spec.
func Spec(s domain.RuleSpec) *alertingv1.RuleSpec {
	out := &alertingv1.RuleSpec{
		Name: s.Name,
		Selector: &alertingv1.Selector{
			ServiceIds: s.Selector.ServiceIDs, Tags: s.Selector.Tags, All: s.Selector.All,
		},
		For: durationpb.New(s.For), Severity: Severity(s.Severity), EscalationPolicyId: s.EscalationPolicyID,
		Labels: s.Labels, IncludeSloEvents: s.IncludeSLOEvents, GroupBy: s.GroupBy,
		GroupWait: durationpb.New(s.GroupWait), GroupInterval: durationpb.New(s.GroupInterval),
		RepeatInterval: durationpb.New(s.RepeatInterval), FlapThreshold: int32(s.FlapThreshold),
		FlapWindow: durationpb.New(s.FlapWindow),
	}
	for _, st := range s.Statuses {
		out.Statuses = append(out.Statuses, Status(st))
	}
	return out
}

// Rule converts a rule.
func Rule(r domain.Rule) *alertingv1.Rule {
	return &alertingv1.Rule{
		Id: r.ID, OrgId: r.OrgID, Spec: Spec(r.Spec), CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), Version: r.Version,
	}
}

// Alert converts an alert, with its history if it has one.
func Alert(a domain.Alert) *alertingv1.Alert {
	out := &alertingv1.Alert{
		Id: a.ID, OrgId: a.OrgID, RuleId: a.RuleID, RuleName: a.RuleName, ServiceId: a.ServiceID, ServiceName: a.ServiceName,
		State: State(a.State), Severity: Severity(a.Severity), Labels: a.Labels,
		ActiveSince: ts(a.ActiveSince), FiresAt: ts(a.FiresAt), FiredAt: ts(a.FiredAt), ResolvedAt: ts(a.ResolvedAt),
		AcknowledgedBy: a.AckedBy, AcknowledgedAt: ts(a.AckedAt), AcknowledgementNote: a.AckNote, Flapping: a.Flapping,
		SilencedBy: a.SilencedBy, InhibitedBy: a.InhibitedBy, GroupId: a.GroupID,
		CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt), Version: a.Version,
	}
	for _, e := range a.History {
		out.History = append(out.History, &alertingv1.AlertHistoryEntry{At: ts(e.At), Kind: toProtoKind[e.Kind], Actor: e.Actor, Note: e.Note})
	}
	return out
}

// Silence converts a silence.
func Silence(s domain.Silence) *alertingv1.Silence {
	return &alertingv1.Silence{
		Id: s.ID, OrgId: s.OrgID,
		Matchers: &alertingv1.Matchers{ServiceIds: s.Matchers.ServiceIDs, Tags: s.Matchers.Tags, RuleIds: s.Matchers.RuleIDs},
		StartsAt: ts(s.StartsAt), EndsAt: ts(s.EndsAt), Comment: s.Comment, CreatedBy: s.CreatedBy,
		MaintenanceId: s.MaintenanceID, CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt),
	}
}
