package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/services/gateway/internal/events"
	"github.com/upstatehq/upstate/services/gateway/internal/idempotency"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/receivers"
)

// headerReplayed marks the answer to a retried delivery.
const headerReplayed = "Idempotent-Replayed"

// accepted is the body of a 202.
type accepted struct {
	DeliveryID string `json:"delivery_id"`
	Result     string `json:"result,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

var (
	errNoReceiver = httpx.Errorf(http.StatusNotFound, httpx.CodeNotFound, "no webhook receiver at this address")
	errDisabled   = httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "this webhook receiver is disabled")
)

// deliver is POST /api/webhooks/incoming/{token}. The order of the checks
// keeps the cheap ones first and records an idempotency key only for a
// delivery that is accepted: token form, rate limit (memory),
// receiver (cache, else one gRPC call), body, signature, verdict (pure),
// idempotency key (one KV create, only when the sender sent a key), publish.
func (h *Handler) deliver(c echo.Context) error {
	req := c.Request()
	now := h.clock.Now()
	rcv, err := h.admit(c, now)
	if err != nil {
		return err
	}
	body, err := httpx.ReadBody(req)
	if err != nil {
		h.countReadError(err)
		return err
	}
	d := domain.Delivery{
		ID: ids.New(ids.Delivery), Receiver: rcv, ReceivedAt: now.UTC(), SourceIP: h.sourceIP(req), Body: body,
	}
	if err := rcv.Authenticate(req.Header, body, now); err != nil {
		d.Verdict = domain.AuthFailed(err.Error())
		h.logger.InfoContext(req.Context(), "webhook signature refused", "receiver_id", rcv.ID, "delivery_id", d.ID, "reason", d.Verdict.Reason)
		return h.reject(c, d, http.StatusUnauthorized, httpx.CodeUnauthorized)
	}
	d.Verdict = rcv.Interpret(body)
	if d.Verdict.Result == domain.ResultFailed {
		return h.reject(c, d, http.StatusBadRequest, httpx.CodeBadRequest)
	}
	return h.accept(c, d)
}

// admit checks the token's form and rate and finds its enabled receiver.
func (h *Handler) admit(c echo.Context, now time.Time) (*domain.Receiver, error) {
	token := c.Param("token")
	if !validToken(token) {
		h.metrics.Delivery(metrics.ResultNotFound)
		return nil, errNoReceiver
	}
	key := tokenKey(token)
	if ok, wait := h.limiter.Allow(key, now); !ok {
		h.metrics.Delivery(metrics.ResultRateLimited)
		e := httpx.Errorf(http.StatusTooManyRequests, httpx.CodeRateLimited, "too many deliveries to this receiver; slow down")
		e.RetryAfter = int(math.Ceil(wait.Seconds()))
		return nil, e
	}
	rcv, err := h.resolver.Resolve(c.Request().Context(), key, token)
	switch {
	case errors.Is(err, receivers.ErrNotFound):
		h.metrics.Delivery(metrics.ResultNotFound)
		return nil, errNoReceiver
	case errors.Is(err, receivers.ErrUnavailable):
		return nil, h.dependencyError(err)
	case err != nil:
		h.metrics.Delivery(metrics.ResultError)
		return nil, err // logged and answered as 500 by the error handler
	case !rcv.Enabled:
		h.metrics.Delivery(metrics.ResultDisabled)
		return nil, errDisabled
	}
	return rcv, nil
}

// reject publishes a refused delivery for the delivery log and answers with
// the error status. The sender's idempotency key is not recorded: it may
// fix the signature or body and send again under the same id.
func (h *Handler) reject(c echo.Context, d domain.Delivery, status int, code string) error {
	if err := h.publish(c.Request().Context(), d); err != nil {
		return h.dependencyError(err)
	}
	h.metrics.Delivery(string(d.Verdict.Result))
	return httpx.Errorf(status, code, "%s", d.Verdict.Reason)
}

// accept records the sender's idempotency key, publishes the delivery and
// answers 202, or a replay with the original delivery id, or (?wait=true)
// the outcome.
//
// A key already recorded with another body is not a retry but a sender
// reusing a key: answering the original id would drop the new body
// unseen, so it is refused 422, as the IETF Idempotency-Key draft asks
// (Stripe refuses it too), and nothing is published. Bodies are compared
// byte for byte, as signatures are: a retry resends the same bytes.
//
// A recorded key does not prove its delivery was stored: the first request
// may still be publishing, may have failed to, or its gateway may have died
// in between. So a replay publishes its own event again under the original
// delivery id and received time, and answers only once that is stored. The
// INGEST stream drops it as a duplicate when the first copy made it within
// its duplicate window; after that the status service recognises the id,
// and orders the copy by the original time behind whatever the receiver
// sent since. For the same reason a failed publish keeps the key: the
// sender's retry republishes under the same id, which also covers a
// publish that timed out after JetStream stored it.
func (h *Handler) accept(c echo.Context, d domain.Delivery) error {
	ctx := c.Request().Context()
	if ik, header := idempotency.KeyFrom(c.Request().Header); ik != "" {
		bodyHash := idempotency.BodyHash(d.Body)
		rec, first, err := h.idempotency.Claim(ctx, d.Receiver.ID, ik,
			idempotency.Record{DeliveryID: d.ID, ReceivedAt: d.ReceivedAt, BodySHA256: bodyHash})
		if err != nil {
			return h.dependencyError(err)
		}
		if !first && !rec.SameBody(bodyHash) {
			h.metrics.Delivery(metrics.ResultKeyReused)
			return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
				"this %s was first sent with a different body; use a new key for a new delivery", header)
		}
		if !first {
			return h.replay(c, d, rec)
		}
	}
	processed := d.Verdict.Result == domain.ResultProcessed
	var sub *nats.Subscription
	if processed && wantsWait(c) {
		// Subscribed before publishing, so the outcome cannot arrive
		// before anyone listens.
		inbox := h.nc.NewInbox()
		var err error
		if sub, err = h.nc.SubscribeSync(inbox); err != nil {
			return h.dependencyError(fmt.Errorf("subscribe to delivery outcome: %w", err))
		}
		defer func() { _ = sub.Unsubscribe() }()
		d.ReplySubject = inbox
	}
	if err := h.publish(c.Request().Context(), d); err != nil {
		return h.dependencyError(err)
	}
	h.metrics.Delivery(string(d.Verdict.Result))
	switch {
	case !processed:
		return c.JSON(http.StatusAccepted, accepted{DeliveryID: d.ID, Result: string(d.Verdict.Result), Reason: d.Verdict.Reason})
	case sub != nil:
		return h.awaitOutcome(c, sub, d.ID)
	default:
		return c.JSONBlob(http.StatusAccepted, acceptedBody(d.ID))
	}
}

// replay answers a retried delivery with the id its key was first given,
// after publishing it again under that id and time (see accept).
func (h *Handler) replay(c echo.Context, d domain.Delivery, original idempotency.Record) error {
	d.ID = original.DeliveryID
	if !original.ReceivedAt.IsZero() {
		d.ReceivedAt = original.ReceivedAt
	}
	if err := h.publish(c.Request().Context(), d); err != nil {
		return h.dependencyError(err)
	}
	h.metrics.Delivery(metrics.ResultDuplicate)
	c.Response().Header().Set(headerReplayed, "true")
	return c.JSON(http.StatusAccepted, accepted{DeliveryID: original.DeliveryID})
}

// publish sends the delivery's event, in the trace of ctx's request, and
// waits until JetStream stored it.
// It publishes asynchronously on the handler's JetStream handle, whose
// window bounds the publishes awaiting their acknowledgement: a request
// finding it full waits briefly for room, then fails. Either way the
// delivery is answered only after the acknowledgement, or as a failure.
// A sender hanging up does not abandon a publish in flight, which would
// leave it unknown whether the delivery was stored.
func (h *Handler) publish(ctx context.Context, d domain.Delivery) error {
	ev, err := events.Ingest(d)
	if err != nil {
		return err
	}
	f, err := h.js.PublishMsgAsync(bus.NewMsg(ctx, ev))
	if err != nil {
		return fmt.Errorf("publish %s to %s: %w", ev.ID, ev.Subject, err)
	}
	// The handle's acknowledgement timeout ends the wait (see New).
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("publish %s to %s: %w", ev.ID, ev.Subject, err)
	}
}

// acceptedBody is the body of a plain 202, {"delivery_id":"…"}, as c.JSON
// would write it but without encoding a value: id is one of ours, made of
// letters, digits and an underscore, with nothing to escape.
func acceptedBody(id string) []byte {
	const head, tail = `{"delivery_id":"`, "\"}\n"
	b := make([]byte, 0, len(head)+len(id)+len(tail))
	b = append(b, head...)
	b = append(b, id...)
	return append(b, tail...)
}

// countReadError counts a body that could not be read.
func (h *Handler) countReadError(err error) {
	var he *httpx.Error
	if errors.As(err, &he) && he.Status == http.StatusRequestEntityTooLarge {
		h.metrics.Delivery(metrics.ResultTooLarge)
		return
	}
	h.metrics.Delivery(metrics.ResultError)
}

// dependencyError counts and answers a failure of the status service or
// NATS: 503, so the sender retries.
func (h *Handler) dependencyError(err error) error {
	h.metrics.Delivery(metrics.ResultUnavailable)
	return httpx.Unavailable("webhook intake is temporarily unavailable; retry shortly", err)
}

// wantsWait reports whether the sender asked to wait for the outcome.
func wantsWait(c echo.Context) bool {
	switch c.QueryParam("wait") {
	case "true", "1":
		return true
	}
	return false
}
