package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// userJSON is the REST representation of a user.
type userJSON struct {
	ID            string    `json:"id"`
	OrgID         string    `json:"org_id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	TimeZone      string    `json:"time_zone"`
	SlackMemberID *string   `json:"slack_member_id"`
	Phone         *string   `json:"phone"`
	ChannelIDs    []string  `json:"channel_ids"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toUserJSON(u *notificationv1.User) userJSON {
	s := u.GetSpec()
	return userJSON{ID: u.GetId(), OrgID: u.GetOrgId(), Name: s.GetName(), Email: s.GetEmail(), TimeZone: s.GetTimeZone(),
		SlackMemberID: optionalString(s.GetSlackMemberId()), Phone: optionalString(s.GetPhone()),
		ChannelIDs: append([]string{}, s.GetChannelIds()...), CreatedAt: u.GetCreatedAt().AsTime(), UpdatedAt: u.GetUpdatedAt().AsTime()}
}

// userBody is the body of POST /users and PATCH /users/:id.
type userBody struct {
	Name          optional[string]   `json:"name,omitzero"`
	Email         optional[string]   `json:"email,omitzero"`
	TimeZone      optional[string]   `json:"time_zone,omitzero"`
	SlackMemberID optional[string]   `json:"slack_member_id,omitzero"`
	Phone         optional[string]   `json:"phone,omitzero"`
	ChannelIDs    optional[[]string] `json:"channel_ids,omitzero"`
}

const userFields = "name, email, time_zone, slack_member_id, phone, channel_ids"

func (b userBody) spec() (*notificationv1.UserSpec, []string, error) {
	s := &notificationv1.UserSpec{}
	var g givenFields
	value(&g, b.Name, "name", &s.Name)
	value(&g, b.Email, "email", &s.Email)
	value(&g, b.TimeZone, "time_zone", &s.TimeZone)
	value(&g, b.SlackMemberID, "slack_member_id", &s.SlackMemberId)
	value(&g, b.Phone, "phone", &s.Phone)
	value(&g, b.ChannelIDs, "channel_ids", &s.ChannelIds)
	return s, g.names, g.err
}

// teamJSON is the REST representation of a team.
type teamJSON struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Name      string    `json:"name"`
	MemberIDs []string  `json:"member_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toTeamJSON(t *notificationv1.Team) teamJSON {
	return teamJSON{ID: t.GetId(), OrgID: t.GetOrgId(), Name: t.GetSpec().GetName(), MemberIDs: append([]string{}, t.GetSpec().GetMemberIds()...),
		CreatedAt: t.GetCreatedAt().AsTime(), UpdatedAt: t.GetUpdatedAt().AsTime()}
}

// teamBody is the body of POST /teams and PATCH /teams/:id.
type teamBody struct {
	Name      optional[string]   `json:"name"`
	MemberIDs optional[[]string] `json:"member_ids"`
}

const teamFields = "name, member_ids"

func (b teamBody) spec() (*notificationv1.TeamSpec, []string, error) {
	s := &notificationv1.TeamSpec{}
	var g givenFields
	value(&g, b.Name, "name", &s.Name)
	value(&g, b.MemberIDs, "member_ids", &s.MemberIds)
	return s, g.names, g.err
}

// Layers in JSON.
type (
	handoffJSON struct {
		Every int32  `json:"every"`
		Unit  string `json:"unit"`
	}
	restrictionJSON struct {
		Days  []string `json:"days"`
		Start string   `json:"start"`
		End   string   `json:"end"`
	}
	layerJSON struct {
		Name         string            `json:"name"`
		Members      []string          `json:"members"`
		Start        string            `json:"start"`
		Handoff      handoffJSON       `json:"handoff"`
		Restrictions []restrictionJSON `json:"restrictions"`
	}
)

// scheduleJSON is the REST representation of a schedule.
type scheduleJSON struct {
	ID        string      `json:"id"`
	OrgID     string      `json:"org_id"`
	Name      string      `json:"name"`
	TimeZone  string      `json:"time_zone"`
	Layers    []layerJSON `json:"layers"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func toScheduleJSON(s *notificationv1.Schedule) scheduleJSON {
	out := scheduleJSON{ID: s.GetId(), OrgID: s.GetOrgId(), Name: s.GetSpec().GetName(), TimeZone: s.GetSpec().GetTimeZone(),
		Layers: []layerJSON{}, CreatedAt: s.GetCreatedAt().AsTime(), UpdatedAt: s.GetUpdatedAt().AsTime()}
	for _, l := range s.GetSpec().GetLayers() {
		lj := layerJSON{Name: l.GetName(), Members: append([]string{}, l.GetMembers()...), Start: l.GetStart(),
			Handoff: handoffJSON{Every: l.GetHandoff().GetEvery(), Unit: l.GetHandoff().GetUnit()}, Restrictions: []restrictionJSON{}}
		for _, r := range l.GetRestrictions() {
			lj.Restrictions = append(lj.Restrictions, restrictionJSON{Days: append([]string{}, r.GetDays()...), Start: r.GetStart(), End: r.GetEnd()})
		}
		out.Layers = append(out.Layers, lj)
	}
	return out
}

// scheduleBody is the body of POST /schedules and PATCH /schedules/:id.
type scheduleBody struct {
	Name     optional[string]      `json:"name"`
	TimeZone optional[string]      `json:"time_zone"`
	Layers   optional[[]layerJSON] `json:"layers"`
}

const scheduleFields = "name, time_zone, layers"

func (b scheduleBody) spec() (*notificationv1.ScheduleSpec, []string, error) {
	s := &notificationv1.ScheduleSpec{}
	var g givenFields
	value(&g, b.Name, "name", &s.Name)
	value(&g, b.TimeZone, "time_zone", &s.TimeZone)
	g.set(b.Layers.field("layers"), func() error {
		for _, l := range b.Layers.value {
			pl := &notificationv1.Layer{Name: l.Name, Members: l.Members, Start: l.Start,
				Handoff: &notificationv1.Handoff{Every: l.Handoff.Every, Unit: l.Handoff.Unit}}
			for _, r := range l.Restrictions {
				pl.Restrictions = append(pl.Restrictions, &notificationv1.Restriction{Days: r.Days, Start: r.Start, End: r.End})
			}
			s.Layers = append(s.Layers, pl)
		}
		return nil
	})
	return s, g.names, g.err
}

// overrideJSON is the REST representation of an override.
type overrideJSON struct {
	ID         string    `json:"id"`
	ScheduleID string    `json:"schedule_id"`
	UserID     string    `json:"user_id"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	CreatedAt  time.Time `json:"created_at"`
}

func toOverrideJSON(o *notificationv1.Override) overrideJSON {
	return overrideJSON{ID: o.GetId(), ScheduleID: o.GetScheduleId(), UserID: o.GetUserId(),
		From: o.GetFrom().AsTime(), To: o.GetTo().AsTime(), CreatedAt: o.GetCreatedAt().AsTime()}
}

// overrideBody is the body of POST /schedules/:id/overrides; times are
// strings so that a malformed one is a 422 naming it.
type overrideBody struct {
	UserID string `json:"user_id"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// shiftJSON is the REST representation of a shift.
type shiftJSON struct {
	UserID string    `json:"user_id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Layer  string    `json:"layer"`
}

func toShiftsJSON(in []*notificationv1.Shift) []shiftJSON {
	out := []shiftJSON{}
	for _, s := range in {
		out = append(out, shiftJSON{UserID: s.GetUserId(), Start: s.GetStart().AsTime(), End: s.GetEnd().AsTime(), Layer: s.GetLayer()})
	}
	return out
}

// onCallJSON answers GET /schedules/:id/oncall.
type onCallJSON struct {
	At      time.Time   `json:"at"`
	UserIDs []string    `json:"user_ids"`
	Shifts  []shiftJSON `json:"shifts"`
}

// targetJSON is one target of a step: exactly one field.
type targetJSON struct {
	ScheduleID string `json:"schedule_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	ChannelID  string `json:"channel_id,omitempty"`
}

// stepJSON is a step of a policy.
type stepJSON struct {
	After   string       `json:"after"`
	Targets []targetJSON `json:"targets"`
}

// policyJSON is the REST representation of an escalation policy.
type policyJSON struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org_id"`
	Name      string     `json:"name"`
	Steps     []stepJSON `json:"steps"`
	Repeat    int32      `json:"repeat"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}

func toPolicyJSON(p *notificationv1.EscalationPolicy) policyJSON {
	s := p.GetSpec()
	out := policyJSON{ID: p.GetId(), OrgID: p.GetOrgId(), Name: s.GetName(), Steps: []stepJSON{}, Repeat: s.GetRepeat(),
		CreatedAt: p.GetCreatedAt().AsTime(), UpdatedAt: p.GetUpdatedAt().AsTime(), Version: p.GetVersion()}
	for _, st := range s.GetSteps() {
		sj := stepJSON{After: formatDuration(st.GetAfter().AsDuration()), Targets: []targetJSON{}}
		for _, t := range st.GetTargets() {
			sj.Targets = append(sj.Targets, targetJSON{ScheduleID: t.GetScheduleId(), UserID: t.GetUserId(), ChannelID: t.GetChannelId()})
		}
		out.Steps = append(out.Steps, sj)
	}
	return out
}

// policyBody is the body of POST /escalation-policies and PATCH
// /escalation-policies/:id.
type policyBody struct {
	Name   optional[string]     `json:"name"`
	Steps  optional[[]stepJSON] `json:"steps"`
	Repeat optional[int32]      `json:"repeat"`
}

const policyFields = "name, steps, repeat"

func (b policyBody) spec() (*notificationv1.EscalationPolicySpec, []string, error) {
	s := &notificationv1.EscalationPolicySpec{}
	var g givenFields
	value(&g, b.Name, "name", &s.Name)
	value(&g, b.Repeat, "repeat", &s.Repeat)
	g.set(b.Steps.field("steps"), func() error {
		for i, st := range b.Steps.value {
			after, err := parseDuration("steps["+strconv.Itoa(i)+"].after", st.After)
			if err != nil {
				return err
			}
			ps := &notificationv1.EscalationStep{After: after}
			for _, t := range st.Targets {
				ps.Targets = append(ps.Targets, toTarget(t))
			}
			s.Steps = append(s.Steps, ps)
		}
		return nil
	})
	return s, g.names, g.err
}

// toTarget is t as a message; a target giving several ids or none is
// passed on as an empty one, which the service refuses by its field.
func toTarget(t targetJSON) *notificationv1.Target {
	n := 0
	for _, id := range []string{t.ScheduleID, t.UserID, t.ChannelID} {
		if id != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return &notificationv1.Target{}
	case t.ScheduleID != "":
		return &notificationv1.Target{Kind: &notificationv1.Target_ScheduleId{ScheduleId: t.ScheduleID}}
	case t.UserID != "":
		return &notificationv1.Target{Kind: &notificationv1.Target_UserId{UserId: t.UserID}}
	}
	return &notificationv1.Target{Kind: &notificationv1.Target_ChannelId{ChannelId: t.ChannelID}}
}

// routeJSON is the REST representation of a route.
type routeJSON struct {
	ID         string       `json:"id"`
	OrgID      string       `json:"org_id"`
	Name       string       `json:"name"`
	Events     []string     `json:"events"`
	Services   selectorJSON `json:"services"`
	ChannelIDs []string     `json:"channel_ids"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

func toRouteJSON(r *notificationv1.Route) routeJSON {
	s := r.GetSpec()
	sel := s.GetServices()
	return routeJSON{ID: r.GetId(), OrgID: r.GetOrgId(), Name: s.GetName(), Events: append([]string{}, s.GetEvents()...),
		Services:   selectorJSON{ServiceIDs: sel.GetServiceIds(), Tags: sel.GetTags(), All: sel.GetAll()},
		ChannelIDs: append([]string{}, s.GetChannelIds()...), CreatedAt: r.GetCreatedAt().AsTime(), UpdatedAt: r.GetUpdatedAt().AsTime()}
}

// routeBody is the body of POST /routes and PATCH /routes/:id.
type routeBody struct {
	Name       optional[string]       `json:"name"`
	Events     optional[[]string]     `json:"events"`
	Services   optional[selectorJSON] `json:"services"`
	ChannelIDs optional[[]string]     `json:"channel_ids"`
}

const routeFields = "name, events, services, channel_ids"

func (b routeBody) spec() (*notificationv1.RouteSpec, []string, error) {
	s := &notificationv1.RouteSpec{}
	var g givenFields
	value(&g, b.Name, "name", &s.Name)
	value(&g, b.Events, "events", &s.Events)
	value(&g, b.ChannelIDs, "channel_ids", &s.ChannelIds)
	g.set(b.Services.field("services"), func() error {
		v := b.Services.value
		s.Services = &alertingv1.Selector{ServiceIds: v.ServiceIDs, Tags: v.Tags, All: v.All}
		return nil
	})
	return s, g.names, g.err
}

// requireChanges refuses a PATCH that gives no field; valid lists them.
func requireChanges(given []string, valid string) error {
	if len(given) == 0 {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "give at least one field to change: %s", valid)
	}
	return nil
}

// specChanges is the spec of an update's body and the fields it gives, at
// least one of valid.
func specChanges[S any](spec func() (S, []string, error), valid string) (S, []string, error) {
	s, given, err := spec()
	if err == nil {
		err = requireChanges(given, valid)
	}
	return s, given, err
}
