package grpcapi

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/oncall"
	"github.com/upstatehq/upstate/services/notification/internal/pbconv"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// Schedules implements ScheduleService.
type Schedules struct {
	notificationv1.UnimplementedScheduleServiceServer
	store *store.Store
	clock clockwork.Clock
}

// NewSchedules returns the schedule API over st.
func NewSchedules(st *store.Store, clock clockwork.Clock) *Schedules {
	return &Schedules{store: st, clock: clock}
}

const schedule, override = "schedule", "override"

// scheduleFields are the fields of ScheduleSpec an update mask may name.
var scheduleFields = []string{"name", "time_zone", "layers"}

// The iCal export's default window around now.
const (
	icalBefore = 7 * 24 * time.Hour
	icalSpan   = 60 * 24 * time.Hour
)

func applySchedule(s domain.ScheduleSpec, in *notificationv1.ScheduleSpec, fields []string) domain.ScheduleSpec {
	for _, f := range fields {
		switch f {
		case "name":
			s.Name = in.GetName()
		case "time_zone":
			s.TimeZone = in.GetTimeZone()
		case "layers":
			s.Layers = pbconv.Layers(in.GetLayers())
		}
	}
	return s.Normalize()
}

// CreateSchedule implements the RPC.
func (s *Schedules) CreateSchedule(ctx context.Context, req *notificationv1.CreateScheduleRequest) (*notificationv1.CreateScheduleResponse, error) {
	sc, err := create(ctx, req.GetOrgId(), schedule, s.clock, applySchedule(domain.ScheduleSpec{}, req.GetSpec(), scheduleFields), domain.ScheduleSpec.Validate,
		func(spec domain.ScheduleSpec, now time.Time) domain.Schedule {
			return domain.Schedule{ID: ids.New(ids.Schedule), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
		}, s.store.CreateSchedule)
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreateScheduleResponse{Schedule: pbconv.Schedule(sc)}, nil
}

// GetSchedule implements the RPC.
func (s *Schedules) GetSchedule(ctx context.Context, req *notificationv1.GetScheduleRequest) (*notificationv1.GetScheduleResponse, error) {
	sc, err := get(ctx, req.GetOrgId(), req.GetScheduleId(), schedule, s.store.GetSchedule)
	if err != nil {
		return nil, err
	}
	return &notificationv1.GetScheduleResponse{Schedule: pbconv.Schedule(sc)}, nil
}

// ListSchedules implements the RPC.
func (s *Schedules) ListSchedules(ctx context.Context, req *notificationv1.ListSchedulesRequest) (*notificationv1.ListSchedulesResponse, error) {
	schedules, next, err := list(ctx, req, schedule, s.store.ListSchedules, func(sc domain.Schedule) string { return sc.ID }, pbconv.Schedule)
	if err != nil {
		return nil, err
	}
	return &notificationv1.ListSchedulesResponse{Schedules: schedules, NextPageToken: next}, nil
}

// UpdateSchedule implements the RPC.
func (s *Schedules) UpdateSchedule(ctx context.Context, req *notificationv1.UpdateScheduleRequest) (*notificationv1.UpdateScheduleResponse, error) {
	sc, err := update(ctx, req, req.GetScheduleId(), schedule, scheduleFields, s.clock, s.store.UpdateSchedule,
		func(sc domain.Schedule, fields []string, now time.Time) (domain.Schedule, error) {
			sc.Spec = applySchedule(sc.Spec, req.GetSpec(), fields)
			sc.UpdatedAt = now
			return sc, sc.Spec.Validate()
		})
	if err != nil {
		return nil, err
	}
	return &notificationv1.UpdateScheduleResponse{Schedule: pbconv.Schedule(sc)}, nil
}

// DeleteSchedule implements the RPC.
func (s *Schedules) DeleteSchedule(ctx context.Context, req *notificationv1.DeleteScheduleRequest) (*notificationv1.DeleteScheduleResponse, error) {
	if err := remove(ctx, req.GetOrgId(), req.GetScheduleId(), schedule, s.store.DeleteSchedule); err != nil {
		return nil, err
	}
	return &notificationv1.DeleteScheduleResponse{}, nil
}

// CreateOverride implements the RPC.
func (s *Schedules) CreateOverride(ctx context.Context, req *notificationv1.CreateOverrideRequest) (*notificationv1.CreateOverrideResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	from, to := timeOf(req.GetFrom()), timeOf(req.GetTo())
	if err := domain.ValidateOverride(req.GetUserId(), from, to); err != nil {
		return nil, toStatus(err, schedule)
	}
	o := domain.Override{ID: ids.New(ids.Override), ScheduleID: req.GetScheduleId(), UserID: req.GetUserId(), From: from, To: to, CreatedAt: pgdb.Now(s.clock)}
	if err := s.store.CreateOverride(ctx, req.GetOrgId(), o); err != nil {
		return nil, toStatus(err, schedule)
	}
	return &notificationv1.CreateOverrideResponse{Override: pbconv.Override(o)}, nil
}

// ListOverrides implements the RPC.
func (s *Schedules) ListOverrides(ctx context.Context, req *notificationv1.ListOverridesRequest) (*notificationv1.ListOverridesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	since := s.clock.Now()
	if req.GetIncludePast() {
		since = time.Time{}
	}
	list, err := s.store.ListOverrides(ctx, req.GetOrgId(), req.GetScheduleId(), since)
	if err != nil {
		return nil, toStatus(err, schedule)
	}
	resp := &notificationv1.ListOverridesResponse{}
	for _, o := range list {
		resp.Overrides = append(resp.Overrides, pbconv.Override(o))
	}
	return resp, nil
}

// DeleteOverride implements the RPC.
func (s *Schedules) DeleteOverride(ctx context.Context, req *notificationv1.DeleteOverrideRequest) (*notificationv1.DeleteOverrideResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteOverride(ctx, req.GetOrgId(), req.GetScheduleId(), req.GetOverrideId()); err != nil {
		return nil, toStatus(err, override)
	}
	return &notificationv1.DeleteOverrideResponse{}, nil
}

// GetOnCall implements the RPC.
func (s *Schedules) GetOnCall(ctx context.Context, req *notificationv1.GetOnCallRequest) (*notificationv1.GetOnCallResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	at := s.clock.Now().UTC()
	if req.GetAt() != nil {
		at = timeOf(req.GetAt())
	}
	sc, rot, err := s.store.Rotation(ctx, req.GetOrgId(), req.GetScheduleId(), at, at)
	if err != nil {
		return nil, toStatus(err, schedule)
	}
	resp := &notificationv1.GetOnCallResponse{At: timestamppb.New(at), UserIds: rot.OnCall(at)}
	// The shift holding at, whole: the shifts of a window around it.
	for _, sh := range shiftsAround(rot, at) {
		if !at.Before(sh.Start) && at.Before(sh.End) {
			resp.Shifts = append(resp.Shifts, pbconv.Shift(sc, sh))
		}
	}
	return resp, nil
}

// shiftsAround returns the shifts of a window of a few weeks around at,
// wide enough to hold the whole shift at falls in for any weekly
// rotation.
func shiftsAround(rot oncall.Schedule, at time.Time) []oncall.Shift {
	const reach = 31 * 24 * time.Hour
	return rot.Shifts(at.Add(-reach), at.Add(reach))
}

// ListShifts implements the RPC.
func (s *Schedules) ListShifts(ctx context.Context, req *notificationv1.ListShiftsRequest) (*notificationv1.ListShiftsResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	from, to := timeOf(req.GetFrom()), timeOf(req.GetTo())
	if err := domain.CheckRange("from", "to", from, to); err != nil {
		return nil, toStatus(err, schedule)
	}
	sc, rot, err := s.store.Rotation(ctx, req.GetOrgId(), req.GetScheduleId(), from, to)
	if err != nil {
		return nil, toStatus(err, schedule)
	}
	resp := &notificationv1.ListShiftsResponse{}
	for _, sh := range rot.Shifts(from, to) {
		resp.Shifts = append(resp.Shifts, pbconv.Shift(sc, sh))
	}
	return resp, nil
}

// ExportICal implements the RPC.
func (s *Schedules) ExportICal(ctx context.Context, req *notificationv1.ExportICalRequest) (*notificationv1.ExportICalResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	from, to := now.Add(-icalBefore), time.Time{}
	if req.GetFrom() != nil {
		from = timeOf(req.GetFrom())
	}
	to = from.Add(icalSpan)
	if req.GetTo() != nil {
		to = timeOf(req.GetTo())
	}
	if err := domain.CheckRange("from", "to", from, to); err != nil {
		return nil, toStatus(err, schedule)
	}
	sc, rot, err := s.store.Rotation(ctx, req.GetOrgId(), req.GetScheduleId(), from, to)
	if err != nil {
		return nil, toStatus(err, schedule)
	}
	users := sc.Spec.Users()
	for _, o := range rot.Overrides {
		users = append(users, o.UserID)
	}
	names, err := s.store.UserNames(ctx, req.GetOrgId(), users)
	if err != nil {
		return nil, toStatus(err, schedule)
	}
	cal := rot.ICal(from, to, oncall.Calendar{ID: sc.ID, Name: sc.Spec.Name, Stamp: now, Users: names})
	return &notificationv1.ExportICalResponse{Calendar: string(cal)}, nil
}

// timeOf is a timestamp's time in UTC; zero when absent or malformed,
// which validation refuses.
func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil || ts.CheckValid() != nil {
		return time.Time{}
	}
	return ts.AsTime().UTC()
}
