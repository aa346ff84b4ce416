package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// shiftWindow is how far ahead a schedule's page shows its shifts.
const shiftWindow = 7 * 24 * time.Hour

// userNames is the names of the organisation's first users by id, which
// the on-call pages show instead of ids, and the users in order.
func (cn *Console) userNames(c echo.Context, cursor string) (list[userJSON], map[string]string, error) {
	resp, err := invoke(cn.h, c, cn.h.users.ListUsers, &notificationv1.ListUsersRequest{OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: cursor})
	if err != nil {
		return list[userJSON]{}, nil, err
	}
	out := list[userJSON]{NextCursor: resp.GetNextPageToken()}
	names := map[string]string{}
	for _, u := range resp.GetUsers() {
		out.Data = append(out.Data, toUserJSON(u))
		names[u.GetId()] = u.GetSpec().GetName()
	}
	return out, names, nil
}

// usersPage is the users and the form to add one.
type usersPage struct {
	Users list[userJSON]
}

func (cn *Console) users(c echo.Context) error {
	users, _, err := cn.userNames(c, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "users", view{Title: "Users", Section: "/console/schedules", Data: usersPage{Users: users}})
}

func (cn *Console) createUser(c echo.Context) error {
	body := userBody{Name: set(form(c, "name")), Email: set(form(c, "email"))}
	for field, dst := range map[string]*optional[string]{"time_zone": &body.TimeZone, "slack_member_id": &body.SlackMemberID, "phone": &body.Phone} {
		if v := form(c, field); v != "" {
			*dst = set(v)
		}
	}
	if _, err := cn.submitCreate(c, "/users", body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/users")
}

func (cn *Console) deleteUser(c echo.Context) error {
	if _, err := cn.submit(c, http.MethodDelete, "/users/"+url.PathEscape(c.Param("id")), nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/users")
}

// scheduleRow is a schedule and who is on call in it now.
type scheduleRow struct {
	Schedule scheduleJSON
	OnCall   []string
}

// schedulesPage is the schedules, each with who is on call now.
type schedulesPage struct {
	Schedules []scheduleRow
	Next      string
	Names     map[string]string
}

func (cn *Console) schedules(c echo.Context) error {
	p := principal(c)
	_, names, err := cn.userNames(c, "")
	if err != nil {
		return err
	}
	ctx, cancel := cn.h.call(c)
	defer cancel()
	resp, err := cn.h.schedules.ListSchedules(ctx, &notificationv1.ListSchedulesRequest{OrgId: p.OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor")})
	if err != nil {
		return fromGRPC(err)
	}
	out := schedulesPage{Next: resp.GetNextPageToken(), Names: names}
	now := timestamppb.New(cn.h.clock.Now())
	for _, s := range resp.GetSchedules() {
		onCall, err := cn.h.schedules.GetOnCall(ctx, &notificationv1.GetOnCallRequest{OrgId: p.OrgID, ScheduleId: s.GetId(), At: now})
		if err != nil {
			return fromGRPC(err)
		}
		out.Schedules = append(out.Schedules, scheduleRow{Schedule: toScheduleJSON(s), OnCall: onCall.GetUserIds()})
	}
	return cn.render(c, http.StatusOK, "schedules", view{Title: "On-call", Section: "/console/schedules", Data: out})
}

// schedulePage is a schedule, its shifts for the next week, its overrides
// that have not ended, and the form to add one.
type schedulePage struct {
	Schedule  scheduleJSON
	OnCall    []string
	Shifts    []shiftJSON
	Overrides []overrideJSON
	Users     []userJSON
	Names     map[string]string
}

func (cn *Console) schedule(c echo.Context) error {
	p := principal(c)
	users, names, err := cn.userNames(c, "")
	if err != nil {
		return err
	}
	ctx, cancel := cn.h.call(c)
	defer cancel()
	id := c.Param("id")
	s, err := cn.h.schedules.GetSchedule(ctx, &notificationv1.GetScheduleRequest{OrgId: p.OrgID, ScheduleId: id})
	if err != nil {
		return fromGRPC(err)
	}
	now := cn.h.clock.Now()
	onCall, err := cn.h.schedules.GetOnCall(ctx, &notificationv1.GetOnCallRequest{OrgId: p.OrgID, ScheduleId: id, At: timestamppb.New(now)})
	if err != nil {
		return fromGRPC(err)
	}
	shifts, err := cn.h.schedules.ListShifts(ctx, &notificationv1.ListShiftsRequest{OrgId: p.OrgID, ScheduleId: id,
		From: timestamppb.New(now), To: timestamppb.New(now.Add(shiftWindow))})
	if err != nil {
		return fromGRPC(err)
	}
	overrides, err := cn.h.schedules.ListOverrides(ctx, &notificationv1.ListOverridesRequest{OrgId: p.OrgID, ScheduleId: id})
	if err != nil {
		return fromGRPC(err)
	}
	out := schedulePage{Schedule: toScheduleJSON(s.GetSchedule()), OnCall: onCall.GetUserIds(), Shifts: toShiftsJSON(shifts.GetShifts()),
		Users: users.Data, Names: names}
	for _, o := range overrides.GetOverrides() {
		out.Overrides = append(out.Overrides, toOverrideJSON(o))
	}
	return cn.render(c, http.StatusOK, "schedule", view{Title: out.Schedule.Name, Section: "/console/schedules", Data: out})
}

func (cn *Console) createOverride(c echo.Context) error {
	body := overrideBody{UserID: form(c, "user_id")}
	for field, dst := range map[string]*string{"from": &body.From, "to": &body.To} {
		t, err := formTime(c, field)
		if err != nil {
			return err
		}
		if t != nil {
			*dst = *t
		}
	}
	if _, err := cn.submitCreate(c, "/schedules/"+url.PathEscape(c.Param("id"))+"/overrides", body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/schedules/"+c.Param("id"))
}

func (cn *Console) deleteOverride(c echo.Context) error {
	path := "/schedules/" + url.PathEscape(c.Param("id")) + "/overrides/" + url.PathEscape(c.Param("override_id"))
	if _, err := cn.submit(c, http.MethodDelete, path, nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/schedules/"+c.Param("id"))
}

func (cn *Console) policies(c echo.Context) error {
	resp, err := invoke(cn.h, c, cn.h.policies.ListPolicies, &notificationv1.ListPoliciesRequest{OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	out := list[policyJSON]{NextCursor: resp.GetNextPageToken()}
	for _, p := range resp.GetPolicies() {
		out.Data = append(out.Data, toPolicyJSON(p))
	}
	return cn.render(c, http.StatusOK, "policies", view{Title: "Escalation policies", Section: "/console/schedules", Data: out})
}

// policyPage is a policy's steps, with the names of the users they page.
type policyPage struct {
	Policy policyJSON
	Names  map[string]string
}

func (cn *Console) policy(c echo.Context) error {
	_, names, err := cn.userNames(c, "")
	if err != nil {
		return err
	}
	resp, err := invoke(cn.h, c, cn.h.policies.GetPolicy, &notificationv1.GetPolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id")})
	if err != nil {
		return err
	}
	out := policyPage{Policy: toPolicyJSON(resp.GetPolicy()), Names: names}
	return cn.render(c, http.StatusOK, "policy", view{Title: out.Policy.Name, Section: "/console/schedules", Data: out})
}
