package outbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
)

// BenchmarkRelayBatch relays batches of 500 events spread over a number
// of subjects, publishing them as the relay does (ordered: one event of a
// subject in flight at a time, subjects together) and, as the baseline,
// one after another, each waiting for its acknowledgement. Writing the
// events to the outbox is not timed.
func BenchmarkRelayBatch(b *testing.B) {
	const batch = 500
	publishers := []struct {
		name    string
		publish func(context.Context, jetstream.JetStream, []bus.Event) error
	}{
		{"ordered", bus.PublishOrdered},
		{"one-by-one", func(ctx context.Context, js jetstream.JetStream, evs []bus.Event) error {
			for _, e := range evs {
				if err := bus.Publish(ctx, js, e); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, subjects := range []int{500, 100, 10} {
		for _, p := range publishers {
			b.Run(fmt.Sprintf("subjects=%d/%s", subjects, p.name), func(b *testing.B) {
				o := newOutbox(b)
				js := connect(b)
				ctx := context.Background()
				round := 0
				for b.Loop() {
					b.StopTimer()
					events := make([]bus.Event, batch)
					for i := range events {
						svc := fmt.Sprintf("svc_%d", i%subjects)
						events[i] = bus.Event{Subject: bus.StatusSubject("org_1", svc), ID: fmt.Sprintf("%s:%d:%d", svc, round, i),
							Type: "upstate.status.v1.StatusChanged", Source: "upstate/bench", Time: time.Now(), Data: make([]byte, 200)}
					}
					write(b, o, events...)
					round++
					b.StartTimer()
					n, err := o.RelayBatch(ctx, batch, func(ctx context.Context, evs []bus.Event) error {
						return p.publish(ctx, js, evs)
					})
					if err != nil || n != batch {
						b.Fatalf("relayed %d: %v", n, err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
