package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
)

type outcomeBody struct {
	DeliveryID     string `json:"delivery_id"`
	Result         string `json:"result"`
	RawStatus      string `json:"raw_status"`
	MappedStatus   string `json:"mapped_status"`
	PreviousStatus string `json:"previous_status"`
	NewStatus      string `json:"new_status"`
	ServiceID      string `json:"service_id"`
	Error          string `json:"error"`
}

// applyLikeStatus answers every IngestEvent asking for it with the
// DeliveryOutcome the status service would send after applying it. It
// reads INGEST as the status service does, from the stream.
func applyLikeStatus(t *testing.T, e *env) {
	t.Helper()
	cons, err := e.js.OrderedConsumer(context.Background(), bus.StreamIngest, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var ev ingestv1.IngestEvent
		if err := proto.Unmarshal(m.Data(), &ev); err != nil || ev.GetReplySubject() == "" {
			return
		}
		out, err := proto.Marshal(&ingestv1.DeliveryOutcome{Delivery: &statusv1.Delivery{
			Id:             ev.GetDeliveryId(),
			ReceiverId:     ev.GetReceiverId(),
			Result:         statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
			RawStatus:      ev.GetRawStatus(),
			MappedStatus:   ev.GetMappedStatus(),
			PreviousStatus: statusv1.Status_STATUS_OPERATIONAL,
			NewStatus:      ev.GetMappedStatus(),
			ServiceId:      "svc_api",
		}})
		if err != nil {
			return
		}
		_ = e.nc.Publish(ev.GetReplySubject(), out)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
}

func TestWaitReturnsOutcome(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	applyLikeStatus(t, e)
	token, _ := e.receiver("r", nil)

	rec := e.do(request{token: token, body: `{"status":"Major Outage"}`, query: "wait=true"})

	wantStatus(t, rec, http.StatusOK)
	got := decode[outcomeBody](t, rec)
	want := outcomeBody{
		DeliveryID: got.DeliveryID, Result: "processed", RawStatus: "Major Outage", MappedStatus: "down",
		PreviousStatus: "operational", NewStatus: "down", ServiceID: "svc_api",
	}
	if got != want || got.DeliveryID == "" {
		t.Fatalf("outcome %+v, want %+v", got, want)
	}
	if ev, _ := e.onlyEvent(); ev.GetReplySubject() == "" || ev.GetDeliveryId() != got.DeliveryID {
		t.Fatalf("event reply subject %q id %q", ev.GetReplySubject(), ev.GetDeliveryId())
	}
}

func TestWaitTimesOutAsPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{WaitTimeout: 100 * time.Millisecond})
	token, _ := e.receiver("r", nil)

	rec := e.do(request{token: token, body: `{"status":"down"}`, query: "wait=true"})

	wantStatus(t, rec, http.StatusAccepted)
	if got := decode[acceptedBody](t, rec); got.Result != "pending" || got.DeliveryID == "" {
		t.Fatalf("body %s, want the delivery id and result pending", rec.Body.String())
	}
}

func TestWaitDoesNotWaitForIgnoredDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{WaitTimeout: time.Minute})
	token, _ := e.receiver("r", nil)

	rec := e.do(request{token: token, body: `{"status":"purple"}`, query: "wait=true"})

	wantStatus(t, rec, http.StatusAccepted)
	if got := decode[acceptedBody](t, rec); got.Result != "ignored" {
		t.Fatalf("body %s", rec.Body.String())
	}
	if ev, _ := e.onlyEvent(); ev.GetReplySubject() != "" {
		t.Fatal("an ignored delivery asks for no outcome")
	}
}
