package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
)

// pagesBase is where the public pages are: the configured public URL, or
// the scheme and host this request came to.
func (h *Handler) pagesBase(c echo.Context) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

func (h *Handler) listStatusPages(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.pages.ListPages(ctx, &statuspagev1.ListPagesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[statusPageJSON]{Data: []statusPageJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, p := range resp.GetPages() {
		out.Data = append(out.Data, toStatusPageJSON(p, h.pagesBase(c)))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createStatusPage(c echo.Context) error {
	var body createStatusPageBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.pages.CreatePage(ctx, body.request(principal(c).OrgID))
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/status-pages/"+resp.GetPage().GetId())
	return c.JSON(http.StatusCreated, toStatusPageJSON(resp.GetPage(), h.pagesBase(c)))
}

func (h *Handler) getStatusPage(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.pages.GetPage(ctx, &statuspagev1.GetPageRequest{OrgId: principal(c).OrgID, PageId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toStatusPageJSON(resp.GetPage(), h.pagesBase(c)))
}

func (h *Handler) updateStatusPage(c echo.Context) error {
	var body updateStatusPageBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.pages.UpdatePage(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toStatusPageJSON(resp.GetPage(), h.pagesBase(c)))
}

func (h *Handler) deleteStatusPage(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.pages.DeletePage(ctx, &statuspagev1.DeletePageRequest{OrgId: principal(c).OrgID, PageId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listSubscribers(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.pages.ListSubscribers(ctx, &statuspagev1.ListSubscribersRequest{
		OrgId: principal(c).OrgID, PageId: c.Param("id"), PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[subscriberJSON]{Data: []subscriberJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, s := range resp.GetSubscribers() {
		out.Data = append(out.Data, toSubscriberJSON(s))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) deleteSubscriber(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.pages.DeleteSubscriber(ctx, &statuspagev1.DeleteSubscriberRequest{
		OrgId: principal(c).OrgID, PageId: c.Param("id"), SubscriberId: c.Param("subscriber_id"),
	}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}
