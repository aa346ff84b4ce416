package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

func (h *Handler) listSchedules(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.ListSchedules(ctx, &notificationv1.ListSchedulesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[scheduleJSON]{Data: []scheduleJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, s := range resp.GetSchedules() {
		out.Data = append(out.Data, toScheduleJSON(s))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createSchedule(c echo.Context) error {
	var body scheduleBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.CreateSchedule(ctx, &notificationv1.CreateScheduleRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	return created(c, "/api/v1/schedules/"+resp.GetSchedule().GetId(), toScheduleJSON(resp.GetSchedule()))
}

func (h *Handler) getSchedule(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.GetSchedule(ctx, &notificationv1.GetScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toScheduleJSON(resp.GetSchedule()))
}

func (h *Handler) updateSchedule(c echo.Context) error {
	var body scheduleBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if err := requireChanges(given, scheduleFields); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.UpdateSchedule(ctx, &notificationv1.UpdateScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), Spec: spec, UpdateMask: mask(given)})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toScheduleJSON(resp.GetSchedule()))
}

func (h *Handler) deleteSchedule(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.schedules.DeleteSchedule(ctx, &notificationv1.DeleteScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// listOverrides answers the overrides that have not ended, or all of them
// with ?include_past=true.
func (h *Handler) listOverrides(c echo.Context) error {
	req := &notificationv1.ListOverridesRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id")}
	switch c.QueryParam("include_past") {
	case "", "false":
	case "true":
		req.IncludePast = true
	default:
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "include_past must be true or false")
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.ListOverrides(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[overrideJSON]{Data: []overrideJSON{}}
	for _, o := range resp.GetOverrides() {
		out.Data = append(out.Data, toOverrideJSON(o))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createOverride(c echo.Context) error {
	var body overrideBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	from, err := parseTime("from", body.From)
	if err != nil {
		return err
	}
	to, err := parseTime("to", body.To)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.CreateOverride(ctx, &notificationv1.CreateOverrideRequest{
		OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), UserId: body.UserID, From: from, To: to,
	})
	if err != nil {
		return fromGRPC(err)
	}
	o := resp.GetOverride()
	return created(c, "/api/v1/schedules/"+o.GetScheduleId()+"/overrides/"+o.GetId(), toOverrideJSON(o))
}

func (h *Handler) deleteOverride(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	_, err := h.schedules.DeleteOverride(ctx, &notificationv1.DeleteOverrideRequest{
		OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), OverrideId: c.Param("override_id"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// getOnCall answers who is on call at ?at= (default now).
func (h *Handler) getOnCall(c echo.Context) error {
	at, err := queryTime(c, "at")
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.GetOnCall(ctx, &notificationv1.GetOnCallRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), At: at})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, onCallJSON{At: resp.GetAt().AsTime(), UserIDs: append([]string{}, resp.GetUserIds()...), Shifts: toShiftsJSON(resp.GetShifts())})
}

// listShifts answers the shifts between ?from= and ?to=, both required.
func (h *Handler) listShifts(c echo.Context) error {
	from, err := parseTime("from", c.QueryParam("from"))
	if err != nil {
		return err
	}
	to, err := parseTime("to", c.QueryParam("to"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.ListShifts(ctx, &notificationv1.ListShiftsRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), From: from, To: to})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, list[shiftJSON]{Data: toShiftsJSON(resp.GetShifts())})
}

// exportICal answers the schedule's shifts as an RFC 5545 calendar,
// between ?from= (default a week ago) and ?to= (default 60 days after
// from).
func (h *Handler) exportICal(c echo.Context) error {
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.schedules.ExportICal(ctx, &notificationv1.ExportICalRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), From: from, To: to})
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+c.Param("id")+`.ics"`)
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", []byte(resp.GetCalendar()))
}
