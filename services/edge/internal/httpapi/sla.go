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
	req := &slav1.GetUptimeRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), Window: window, From: timestamp(from), To: timestamp(to),
	}
	return reply(h, c, http.StatusOK, h.sla.GetUptime, req, (*slav1.GetUptimeResponse).GetUptime, func(u *slav1.Uptime) uptimeJSON {
		return toUptimeJSON(u, false)
	})
}

func (h *Handler) getDailyUptime(c echo.Context) error {
	days, err := intParam(c, "days")
	if err != nil {
		return err
	}
	if c.QueryParams().Has("days") && days == 0 {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "days must be between 1 and 365")
	}
	resp, err := invoke(h, c, h.sla.GetDailyUptime, &slav1.GetDailyUptimeRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), Days: days, TimeZone: c.QueryParam("tz"),
	})
	if err != nil {
		return err
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
	return listPage(h, c, h.sla.ListUptime, func(c echo.Context, size int32, token string) (*slav1.ListUptimeRequest, error) {
		window, from, to, err := rangeParams(c)
		if err != nil {
			return nil, err
		}
		return &slav1.ListUptimeRequest{
			OrgId: principal(c).OrgID, Window: window, From: timestamp(from), To: timestamp(to),
			PageSize: size, PageToken: token,
		}, nil
	}, (*slav1.ListUptimeResponse).GetUptimes, func(u *slav1.Uptime) uptimeJSON { return toUptimeJSON(u, true) })
}

func (h *Handler) listSLOs(c echo.Context) error {
	return listPage(h, c, h.sla.ListSLOs, func(c echo.Context, size int32, token string) (*slav1.ListSLOsRequest, error) {
		return &slav1.ListSLOsRequest{OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: size, PageToken: token}, nil
	}, (*slav1.ListSLOsResponse).GetSlos, toSLOJSON)
}

func (h *Handler) createSLO(c echo.Context) error {
	return create(h, c, "/api/v1/slos/", h.sla.CreateSLO, func(b createSLOBody) (*slav1.CreateSLORequest, error) {
		return b.request(principal(c).OrgID)
	}, (*slav1.CreateSLOResponse).GetSlo, toSLOJSON)
}

func (h *Handler) getSLO(c echo.Context) error {
	req := &slav1.GetSLORequest{OrgId: principal(c).OrgID, SloId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.sla.GetSLO, req, (*slav1.GetSLOResponse).GetSlo, toSLOJSON)
}

func (h *Handler) updateSLO(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.sla.UpdateSLO, func(b updateSLOBody) (*slav1.UpdateSLORequest, error) {
		return b.request(principal(c).OrgID, c.Param("id"))
	}, (*slav1.UpdateSLOResponse).GetSlo, toSLOJSON)
}

func (h *Handler) deleteSLO(c echo.Context) error {
	return replyEmpty(h, c, h.sla.DeleteSLO, &slav1.DeleteSLORequest{OrgId: principal(c).OrgID, SloId: c.Param("id")})
}
