package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
)

func timestamp(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func (h *Handler) getUptime(c echo.Context) error {
	window, from, to, err := rangeParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.GetUptime(ctx, &slav1.GetUptimeRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), Window: window, From: timestamp(from), To: timestamp(to),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toUptimeJSON(resp.GetUptime(), false))
}

func (h *Handler) getDailyUptime(c echo.Context) error {
	days, err := intParam(c, "days")
	if err != nil {
		return err
	}
	if c.QueryParams().Has("days") && days == 0 {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "days must be between 1 and 365")
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.GetDailyUptime(ctx, &slav1.GetDailyUptimeRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), Days: days, TimeZone: c.QueryParam("tz"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := struct {
		Data []dailyJSON `json:"data"`
	}{Data: make([]dailyJSON, 0, len(resp.GetDays()))}
	for _, d := range resp.GetDays() {
		out.Data = append(out.Data, toDailyJSON(d))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) listUptime(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	window, from, to, err := rangeParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.ListUptime(ctx, &slav1.ListUptimeRequest{
		OrgId: principal(c).OrgID, Window: window, From: timestamp(from), To: timestamp(to),
		PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[uptimeJSON]{Data: []uptimeJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, u := range resp.GetUptimes() {
		out.Data = append(out.Data, toUptimeJSON(u, true))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) listSLOs(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.ListSLOs(ctx, &slav1.ListSLOsRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[sloJSON]{Data: []sloJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, s := range resp.GetSlos() {
		out.Data = append(out.Data, toSLOJSON(s))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createSLO(c echo.Context) error {
	var body createSLOBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.CreateSLO(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/slos/"+resp.GetSlo().GetId())
	return c.JSON(http.StatusCreated, toSLOJSON(resp.GetSlo()))
}

func (h *Handler) getSLO(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.GetSLO(ctx, &slav1.GetSLORequest{OrgId: principal(c).OrgID, SloId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toSLOJSON(resp.GetSlo()))
}

func (h *Handler) updateSLO(c echo.Context) error {
	var body updateSLOBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.sla.UpdateSLO(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toSLOJSON(resp.GetSlo()))
}

func (h *Handler) deleteSLO(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.sla.DeleteSLO(ctx, &slav1.DeleteSLORequest{OrgId: principal(c).OrgID, SloId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}
