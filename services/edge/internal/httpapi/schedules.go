package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

func (h *Handler) listSchedules(c echo.Context) error {
	return listPage(h, c, h.schedules.ListSchedules, func(c echo.Context, size int32, token string) (*notificationv1.ListSchedulesRequest, error) {
		return &notificationv1.ListSchedulesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListSchedulesResponse).GetSchedules, toScheduleJSON)
}

func (h *Handler) createSchedule(c echo.Context) error {
	return create(h, c, "/api/v1/schedules/", h.schedules.CreateSchedule, func(b scheduleBody) (*notificationv1.CreateScheduleRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreateScheduleRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*notificationv1.CreateScheduleResponse).GetSchedule, toScheduleJSON)
}

func (h *Handler) getSchedule(c echo.Context) error {
	req := &notificationv1.GetScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.schedules.GetSchedule, req, (*notificationv1.GetScheduleResponse).GetSchedule, toScheduleJSON)
}

func (h *Handler) updateSchedule(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.schedules.UpdateSchedule, func(b scheduleBody) (*notificationv1.UpdateScheduleRequest, error) {
		spec, given, err := specChanges(b.spec, scheduleFields)
		return &notificationv1.UpdateScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*notificationv1.UpdateScheduleResponse).GetSchedule, toScheduleJSON)
}

func (h *Handler) deleteSchedule(c echo.Context) error {
	return replyEmpty(h, c, h.schedules.DeleteSchedule, &notificationv1.DeleteScheduleRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id")})
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
	resp, err := invoke(h, c, h.schedules.ListOverrides, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(resp.GetOverrides(), toOverrideJSON, ""))
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
	resp, err := invoke(h, c, h.schedules.CreateOverride, &notificationv1.CreateOverrideRequest{
		OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), UserId: body.UserID, From: from, To: to,
	})
	if err != nil {
		return err
	}
	o := resp.GetOverride()
	return created(c, "/api/v1/schedules/"+o.GetScheduleId()+"/overrides/"+o.GetId(), toOverrideJSON(o))
}

func (h *Handler) deleteOverride(c echo.Context) error {
	return replyEmpty(h, c, h.schedules.DeleteOverride, &notificationv1.DeleteOverrideRequest{
		OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), OverrideId: c.Param("override_id"),
	})
}

// getOnCall answers who is on call at ?at= (default now).
func (h *Handler) getOnCall(c echo.Context) error {
	at, err := queryTime(c, "at")
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, h.schedules.GetOnCall, &notificationv1.GetOnCallRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), At: at})
	if err != nil {
		return err
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
	resp, err := invoke(h, c, h.schedules.ListShifts, &notificationv1.ListShiftsRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), From: from, To: to})
	if err != nil {
		return err
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
	resp, err := invoke(h, c, h.schedules.ExportICal, &notificationv1.ExportICalRequest{OrgId: principal(c).OrgID, ScheduleId: c.Param("id"), From: from, To: to})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+c.Param("id")+`.ics"`)
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", []byte(resp.GetCalendar()))
}
