// Package pbconv converts between the SLA service's domain types and the
// protobuf messages of its API, its events and the STATUS events it
// consumes.
package pbconv

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

var statuses = map[statusv1.Status]domain.Status{
	statusv1.Status_STATUS_OPERATIONAL: domain.Operational,
	statusv1.Status_STATUS_DEGRADED:    domain.Degraded,
	statusv1.Status_STATUS_DOWN:        domain.Down,
	statusv1.Status_STATUS_MAINTENANCE: domain.Maintenance,
}

// Status converts a status; ok is false for an unknown one.
func Status(s statusv1.Status) (domain.Status, bool) {
	d, ok := statuses[s]
	return d, ok
}

// StatusOf converts a domain status back ("" and Gone: unspecified).
func StatusOf(s domain.Status) statusv1.Status {
	for k, v := range statuses {
		if v == s {
			return k
		}
	}
	return statusv1.Status_STATUS_UNSPECIFIED
}

// ServiceCreated is the creation's transition: the initial status, at the
// creation time, as the service's first version.
func ServiceCreated(svc *statusv1.Service) (domain.ServiceEvent, bool) {
	s, ok := Status(svc.GetStatus())
	if !ok || svc.GetCreatedAt() == nil {
		return domain.ServiceEvent{}, false
	}
	return domain.ServiceEvent{
		OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: svc.GetVersion(), Name: svc.GetName(),
		Transition: &domain.Transition{Version: svc.GetVersion(), Status: s, At: svc.GetCreatedAt().AsTime()},
	}, true
}

// ServiceUpdated carries the service's new name only.
func ServiceUpdated(svc *statusv1.Service) domain.ServiceEvent {
	return domain.ServiceEvent{OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: svc.GetVersion(), Name: svc.GetName()}
}

// ServiceDeleted ends the service's counted time.
func ServiceDeleted(ev *statusv1.ServiceDeleted) domain.ServiceEvent {
	return domain.ServiceEvent{
		OrgID: ev.GetOrgId(), ServiceID: ev.GetServiceId(), Version: ev.GetVersion(), Name: ev.GetServiceName(), Deleted: true,
		Transition: &domain.Transition{Version: ev.GetVersion(), Status: domain.Gone, At: ev.GetDeletedAt().AsTime()},
	}
}

// StatusChanged is a status change's transition.
func StatusChanged(ev *statusv1.StatusChanged) (domain.ServiceEvent, bool) {
	s, ok := Status(ev.GetStatus())
	if !ok || ev.GetChangedAt() == nil {
		return domain.ServiceEvent{}, false
	}
	return domain.ServiceEvent{
		OrgID: ev.GetOrgId(), ServiceID: ev.GetServiceId(), Version: ev.GetVersion(), Name: ev.GetServiceName(),
		Transition: &domain.Transition{Version: ev.GetVersion(), Status: s, At: ev.GetChangedAt().AsTime()},
	}, true
}

// History turns a service and its history (any order) into the events
// following STATUS would have given: its creation (the status before its
// oldest change, or its status if it never changed) and each change.
// Services older than creation events (their first change is version 1)
// get their creation as version 0.
func History(svc *statusv1.Service, changes []*statusv1.StatusChange) []domain.ServiceEvent {
	initial := svc.GetStatus()
	oldest := int64(0)
	for _, c := range changes {
		if oldest == 0 || c.GetVersion() < oldest {
			oldest, initial = c.GetVersion(), c.GetPrevious()
		}
	}
	createdVersion := int64(1)
	if oldest == 1 || svc.GetVersion() == 0 {
		createdVersion = 0
	}
	var out []domain.ServiceEvent
	if s, ok := Status(initial); ok && svc.GetCreatedAt() != nil {
		out = append(out, domain.ServiceEvent{
			OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: svc.GetVersion(), Name: svc.GetName(),
			Transition: &domain.Transition{Version: createdVersion, Status: s, At: svc.GetCreatedAt().AsTime()},
		})
	}
	for _, c := range changes {
		s, ok := Status(c.GetStatus())
		if !ok || c.GetChangedAt() == nil {
			continue
		}
		out = append(out, domain.ServiceEvent{
			OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: c.GetVersion(),
			Transition: &domain.Transition{Version: c.GetVersion(), Status: s, At: c.GetChangedAt().AsTime()},
		})
	}
	return out
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// Uptime is a service's figures over span.
func Uptime(serviceID, name string, span domain.Span, f domain.Figures) *slav1.Uptime {
	u := &slav1.Uptime{
		ServiceId: serviceID, ServiceName: name, From: timestamppb.New(span.From), To: timestamppb.New(span.To),
		DownSeconds: seconds(f.Down), DegradedSeconds: seconds(f.Degraded), MaintenanceSeconds: seconds(f.Maintenance),
		CountedSeconds: seconds(f.Counted()), Outages: f.Outages,
	}
	if v, ok := f.Uptime(); ok {
		u.Uptime = proto.Float64(v)
	}
	return u
}

// Daily is one day's figures.
func Daily(d domain.Day, f domain.Figures) *slav1.DailyUptime {
	out := &slav1.DailyUptime{
		Date: d.Date, DownSeconds: seconds(f.Down), DegradedSeconds: seconds(f.Degraded),
		MaintenanceSeconds: seconds(f.Maintenance), WorstStatus: StatusOf(f.Worst()),
	}
	if v, ok := f.Uptime(); ok {
		out.Uptime = proto.Float64(v)
	}
	return out
}

var sloStatuses = map[domain.SLOStatus]slav1.SLOStatus{
	domain.SLOOK:        slav1.SLOStatus_SLO_STATUS_OK,
	domain.SLOBurning:   slav1.SLOStatus_SLO_STATUS_BURNING,
	domain.SLOExhausted: slav1.SLOStatus_SLO_STATUS_EXHAUSTED,
}

// SLO is an SLO with its state at at.
func SLO(s domain.SLO, st domain.SLOState, at time.Time) *slav1.SLO {
	return &slav1.SLO{
		Id: s.ID, OrgId: s.OrgID, ServiceId: s.ServiceID, Name: s.Name, Target: s.Target, Window: string(s.Window),
		CreatedAt: timestamppb.New(s.CreatedAt), UpdatedAt: timestamppb.New(s.UpdatedAt), Version: s.Version,
		State: &slav1.SLOState{
			ErrorBudgetSeconds: seconds(st.Budget), ConsumedSeconds: seconds(st.Consumed),
			RemainingSeconds: seconds(st.Remaining), RemainingFraction: st.RemainingFraction,
			BurnRate_1H: st.BurnRate1h, BurnRate_6H: st.BurnRate6h, Status: sloStatuses[st.Status],
			EvaluatedAt: timestamppb.New(at),
		},
	}
}
