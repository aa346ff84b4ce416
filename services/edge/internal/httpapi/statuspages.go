package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

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

// pageView shows status pages with their public URLs under this
// request's base.
func (h *Handler) pageView(c echo.Context) func(*statuspagev1.Page) statusPageJSON {
	base := h.pagesBase(c)
	return func(p *statuspagev1.Page) statusPageJSON { return toStatusPageJSON(p, base) }
}

func (h *Handler) listStatusPages(c echo.Context) error {
	return listPage(h, c, h.pages.ListPages, func(c echo.Context, size int32, token string) (*statuspagev1.ListPagesRequest, error) {
		return &statuspagev1.ListPagesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*statuspagev1.ListPagesResponse).GetPages, h.pageView(c))
}

func (h *Handler) createStatusPage(c echo.Context) error {
	return create(h, c, "/api/v1/status-pages/", h.pages.CreatePage, func(b createStatusPageBody) (*statuspagev1.CreatePageRequest, error) {
		return b.request(principal(c).OrgID), nil
	}, (*statuspagev1.CreatePageResponse).GetPage, h.pageView(c))
}

func (h *Handler) getStatusPage(c echo.Context) error {
	req := &statuspagev1.GetPageRequest{OrgId: principal(c).OrgID, PageId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.pages.GetPage, req, (*statuspagev1.GetPageResponse).GetPage, h.pageView(c))
}

func (h *Handler) updateStatusPage(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.pages.UpdatePage, func(b updateStatusPageBody) (*statuspagev1.UpdatePageRequest, error) {
		return b.request(principal(c).OrgID, c.Param("id"))
	}, (*statuspagev1.UpdatePageResponse).GetPage, h.pageView(c))
}

func (h *Handler) deleteStatusPage(c echo.Context) error {
	return replyEmpty(h, c, h.pages.DeletePage, &statuspagev1.DeletePageRequest{OrgId: principal(c).OrgID, PageId: c.Param("id")})
}

func (h *Handler) listSubscribers(c echo.Context) error {
	return listPage(h, c, h.pages.ListSubscribers, func(c echo.Context, size int32, token string) (*statuspagev1.ListSubscribersRequest, error) {
		return &statuspagev1.ListSubscribersRequest{OrgId: principal(c).OrgID, PageId: c.Param("id"), PageSize: size, PageToken: token}, nil
	}, (*statuspagev1.ListSubscribersResponse).GetSubscribers, toSubscriberJSON)
}

func (h *Handler) deleteSubscriber(c echo.Context) error {
	return replyEmpty(h, c, h.pages.DeleteSubscriber, &statuspagev1.DeleteSubscriberRequest{
		OrgId: principal(c).OrgID, PageId: c.Param("id"), SubscriberId: c.Param("subscriber_id"),
	})
}
