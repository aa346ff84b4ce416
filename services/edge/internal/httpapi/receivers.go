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
	return listPage(h, c, h.receivers.ListReceivers, func(c echo.Context, size int32, token string) (*statusv1.ListReceiversRequest, error) {
		return &statusv1.ListReceiversRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*statusv1.ListReceiversResponse).GetReceivers, toReceiverJSON)
}

func (h *Handler) createReceiver(c echo.Context) error {
	req, err := decodeRequest(c, func(b createReceiverBody) (*statusv1.CreateReceiverRequest, error) {
		spec, err := b.spec()
		return &statusv1.CreateReceiverRequest{OrgId: principal(c).OrgID, Spec: spec, Preset: b.Preset}, err
	})
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, h.receivers.CreateReceiver, req)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/webhook-receivers/"+resp.GetReceiver().GetId(), h.withToken(c, resp.GetReceiver(), resp.GetToken()))
}

func (h *Handler) getReceiver(c echo.Context) error {
	req := &statusv1.GetReceiverRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.receivers.GetReceiver, req, (*statusv1.GetReceiverResponse).GetReceiver, toReceiverJSON)
}

func (h *Handler) updateReceiver(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.receivers.UpdateReceiver, func(b updateReceiverBody) (*statusv1.UpdateReceiverRequest, error) {
		spec, paths, err := b.update()
		return &statusv1.UpdateReceiverRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id"), Spec: spec, UpdatePaths: paths}, err
	}, (*statusv1.UpdateReceiverResponse).GetReceiver, toReceiverJSON)
}

func (h *Handler) deleteReceiver(c echo.Context) error {
	return replyEmpty(h, c, h.receivers.DeleteReceiver, &statusv1.DeleteReceiverRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")})
}

func (h *Handler) rotateReceiverToken(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	resp, err := invoke(h, c, h.receivers.RotateReceiverToken, &statusv1.RotateReceiverTokenRequest{
		OrgId: principal(c).OrgID, ReceiverId: c.Param("id"),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.withToken(c, resp.GetReceiver(), resp.GetToken()))
}

func (h *Handler) listDeliveries(c echo.Context) error {
	resp, err := invoke(h, c, h.receivers.ListDeliveries, &statusv1.ListDeliveriesRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id")})
	if err != nil {
		return err
	}
	// The log is the last 50 deliveries, one page: there is never a next.
	return c.JSON(http.StatusOK, listOf(resp.GetDeliveries(), toDeliveryJSON, ""))
}

func (h *Handler) getDelivery(c echo.Context) error {
	req := &statusv1.GetDeliveryRequest{OrgId: principal(c).OrgID, ReceiverId: c.Param("id"), DeliveryId: c.Param("delivery_id")}
	return reply(h, c, http.StatusOK, h.receivers.GetDelivery, req, (*statusv1.GetDeliveryResponse).GetDelivery, toDeliveryJSON)
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
