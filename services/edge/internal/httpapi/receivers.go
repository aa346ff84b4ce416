package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// incomingPath is where the gateway takes a receiver's deliveries; a
// receiver's URL is the public base URL, this and its token.
const incomingPath = "/api/webhooks/incoming/"

// webhookURL is the URL senders post to with token: under the configured
// public URL, or else under the scheme and host this request came to.
func (h *Handler) webhookURL(c echo.Context, token string) string {
	base := h.publicURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + incomingPath + token
}

// withToken is a receiver as shown when its token is created or rotated.
func (h *Handler) withToken(c echo.Context, r *statusv1.Receiver, token string) receiverJSON {
	out := toReceiverJSON(r)
	out.Token = token
	out.URL = h.webhookURL(c, token)
	return out
}

func (h *Handler) listReceivers(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.ListReceivers(ctx, &statusv1.ListReceiversRequest{
		OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[receiverJSON]{Data: []receiverJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, r := range resp.GetReceivers() {
		out.Data = append(out.Data, toReceiverJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createReceiver(c echo.Context) error {
	var body createReceiverBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: principal(c).OrgID, Spec: spec, Preset: body.Preset})
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/webhook-receivers/"+resp.GetReceiver().GetId())
	return c.JSON(http.StatusCreated, h.withToken(c, resp.GetReceiver(), resp.GetToken()))
}

func (h *Handler) getReceiver(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.GetReceiver(ctx, &statusv1.GetReceiverRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toReceiverJSON(resp.GetReceiver()))
}

func (h *Handler) updateReceiver(c echo.Context) error {
	var body updateReceiverBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, paths, err := body.update()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.UpdateReceiver(ctx, &statusv1.UpdateReceiverRequest{
		OrgId: principal(c).OrgID, ReceiverId: c.Param("id"), Spec: spec, UpdatePaths: paths,
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toReceiverJSON(resp.GetReceiver()))
}

func (h *Handler) deleteReceiver(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.receivers.DeleteReceiver(ctx, &statusv1.DeleteReceiverRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) rotateReceiverToken(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.RotateReceiverToken(ctx, &statusv1.RotateReceiverTokenRequest{
		OrgId: principal(c).OrgID, ReceiverId: c.Param("id"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, h.withToken(c, resp.GetReceiver(), resp.GetToken()))
}

func (h *Handler) listDeliveries(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.ListDeliveries(ctx, &statusv1.ListDeliveriesRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	// The log is the last 50 deliveries, one page: there is never a next.
	out := list[deliveryJSON]{Data: []deliveryJSON{}}
	for _, d := range resp.GetDeliveries() {
		out.Data = append(out.Data, toDeliveryJSON(d))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) getDelivery(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.receivers.GetDelivery(ctx, &statusv1.GetDeliveryRequest{
		OrgId: principal(c).OrgID, ReceiverId: c.Param("id"), DeliveryId: c.Param("delivery_id"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toDeliveryJSON(resp.GetDelivery()))
}

// noBody accepts a request without a body, or with an empty JSON object,
// for operations whose parameters are all in the path.
func noBody(c echo.Context) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	var empty struct{}
	return httpx.DecodeJSON(c, &empty)
}
