package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// lag is what a LagCollector reported in one scrape.
type lag struct {
	Reported                         bool // the four gauges are there
	Pending, AckPending, Redelivered float64
	AgeSeconds                       float64
	Errors                           float64
}

// scrapeLag gathers reg, which holds one LagCollector for stream and
// durable, as /metrics does.
func scrapeLag(t testing.TB, reg *prometheus.Registry, stream, durable string) lag {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var l lag
	for _, f := range families {
		if len(f.GetMetric()) != 1 {
			t.Fatalf("%s has %d series, want 1", f.GetName(), len(f.GetMetric()))
		}
		m := f.GetMetric()[0]
		labels := map[string]string{}
		for _, p := range m.GetLabel() {
			labels[p.GetName()] = p.GetValue()
		}
		if labels["stream"] != stream || labels["consumer"] != durable || len(labels) != 2 {
			t.Errorf("%s labelled %v, want stream %s and consumer %s", f.GetName(), labels, stream, durable)
		}
		switch f.GetName() {
		case "upstate_consumer_pending_messages":
			l.Reported, l.Pending = true, m.GetGauge().GetValue()
		case "upstate_consumer_ack_pending_messages":
			l.AckPending = m.GetGauge().GetValue()
		case "upstate_consumer_redelivered_messages":
			l.Redelivered = m.GetGauge().GetValue()
		case "upstate_consumer_oldest_unacked_age_seconds":
			l.AgeSeconds = m.GetGauge().GetValue()
		case "upstate_consumer_lag_errors_total":
			l.Errors = m.GetCounter().GetValue()
		default:
			t.Errorf("unexpected metric %s", f.GetName())
		}
	}
	return l
}

// The gauges follow the consumer as messages are published, delivered,
// acknowledged and redelivered; the age is that of the oldest message the
// consumer takes and has not acknowledged.
func TestLagCollectorFollowsTheConsumer(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	ctx := context.Background()
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamStatus, jetstream.ConsumerConfig{
		Durable: "lag", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Hour,
		// The stream's first message is not the consumer's: the age must
		// not be that message's.
		FilterSubject: "upstate.status.org_1.>",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := bus.NewLagCollector(js, bus.StreamStatus, "lag", testLogger(t))
	now := time.Now().Add(time.Hour)
	bus.SetLagClock(c, func() time.Time { return now })
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	ageOf := func(seq uint64) float64 { return now.Sub(getMsg(t, js, bus.StreamStatus, seq).Time).Seconds() }
	expect := func(step string, want lag) {
		t.Helper()
		want.Reported = true
		testenv.Eventually(t, waitFor, func() error {
			if got := scrapeLag(t, reg, bus.StreamStatus, "lag"); got != want {
				return fmt.Errorf("%s: scraped %+v, want %+v", step, got, want)
			}
			return nil
		})
	}

	expect("no messages", lag{})
	publish(t, js, statusEvent("org_2", "svc_x", 1)) // sequence 1, filtered out
	for v := 1; v <= 4; v++ {
		publish(t, js, statusEvent("org_1", "svc_1", v)) // sequences 2 to 5
	}
	expect("published", lag{Pending: 4, AgeSeconds: ageOf(2)})

	batch, err := cons.FetchNoWait(3)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if len(msgs) != 3 {
		t.Fatalf("fetched %d messages, want 3", len(msgs))
	}
	expect("delivered", lag{Pending: 1, AckPending: 3, AgeSeconds: ageOf(2)})

	for _, m := range []jetstream.Msg{msgs[0], msgs[2]} { // sequences 2 and 4
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect("acknowledged around one", lag{Pending: 1, AckPending: 1, AgeSeconds: ageOf(3)})

	if err := msgs[1].Nak(); err != nil { // sequence 3 comes back
		t.Fatal(err)
	}
	batch, err = cons.Fetch(2, jetstream.FetchMaxWait(waitFor))
	if err != nil {
		t.Fatal(err)
	}
	msgs = msgs[:0]
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if len(msgs) != 2 {
		t.Fatalf("fetched %d messages after the nak, want 2", len(msgs))
	}
	expect("redelivered", lag{AckPending: 2, Redelivered: 1, AgeSeconds: ageOf(3)})

	for _, m := range msgs {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect("all acknowledged", lag{})
}

// A consumer that cannot be read is counted as an error, and the scrape
// still succeeds without its gauges.
func TestLagCollectorCountsFailedReads(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(bus.NewLagCollector(js, bus.StreamStatus, "missing", testLogger(t)))
	for i := 1; i <= 2; i++ {
		if got, want := scrapeLag(t, reg, bus.StreamStatus, "missing"), (lag{Errors: float64(i)}); got != want {
			t.Errorf("scrape %d: %+v, want %+v", i, got, want)
		}
	}
}
