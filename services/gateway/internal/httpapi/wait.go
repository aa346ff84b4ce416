package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/pbconv"
)

// outcome is the body of a 200 to ?wait=true: what the status service did
// with the delivery.
type outcome struct {
	DeliveryID     string `json:"delivery_id"`
	Result         string `json:"result"`
	RawStatus      string `json:"raw_status"`
	MappedStatus   string `json:"mapped_status"`
	PreviousStatus string `json:"previous_status"`
	NewStatus      string `json:"new_status"`
	ServiceID      string `json:"service_id"`
	Error          string `json:"error"`
}

// resultPending answers a wait that timed out: the delivery is stored and
// will be applied, but not yet.
const resultPending = "pending"

// awaitOutcome waits for the status service's DeliveryOutcome on sub and
// answers 200 with it, or 202 "pending" when it does not come in time.
func (h *Handler) awaitOutcome(c echo.Context, sub *nats.Subscription, deliveryID string) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), h.opts.WaitTimeout)
	defer cancel()
	pending := func() error {
		return c.JSON(http.StatusAccepted, accepted{DeliveryID: deliveryID, Result: resultPending})
	}
	for {
		msg, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				h.logger.WarnContext(ctx, "wait for delivery outcome", "delivery_id", deliveryID, "err", err)
			}
			return pending()
		}
		var out ingestv1.DeliveryOutcome
		if err := proto.Unmarshal(msg.Data, &out); err != nil {
			h.logger.WarnContext(ctx, "undecodable delivery outcome", "delivery_id", deliveryID, "err", err)
			continue
		}
		d := out.GetDelivery()
		if d.GetId() != "" && d.GetId() != deliveryID {
			continue // not ours; an inbox is private, so only a misdirected reply
		}
		return c.JSON(http.StatusOK, outcome{
			DeliveryID:     deliveryID,
			Result:         string(pbconv.DomainResult(d.GetResult())),
			RawStatus:      d.GetRawStatus(),
			MappedStatus:   string(pbconv.DomainStatus(d.GetMappedStatus())),
			PreviousStatus: string(pbconv.DomainStatus(d.GetPreviousStatus())),
			NewStatus:      string(pbconv.DomainStatus(d.GetNewStatus())),
			ServiceID:      d.GetServiceId(),
			Error:          d.GetError(),
		})
	}
}
