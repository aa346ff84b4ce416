package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/delivery"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

// benchConcurrency is how many deliveries run at once, in both runs.
const benchConcurrency = 64

// BenchmarkDeliver measures deliveries per second to a local HTTP sink at
// 64 at once: "baseline" is a plain Go HTTP client posting the same
// signed bodies to the same sink; "worker" is the delivery workers taking
// a backlog of notifications to a webhook channel from NOTIFY, each
// claimed, sent through its breaker and recorded (the test harness's
// Postgres, without fsync).
func BenchmarkDeliver(b *testing.B) {
	var hits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer sink.Close()
	dest := channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: sink.URL + "/hook", Secret: secret}}
	content := channel.Content{Kind: channel.Trigger, Title: "API is down", Text: "Checkout answers 503", Severity: channel.SeverityCritical, AlertID: "alt_1",
		Fields: []channel.Field{{Name: "Service", Value: "API"}}}

	b.Run("baseline", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConns: benchConcurrency, MaxIdleConnsPerHost: benchConcurrency}}
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		for range benchConcurrency {
			wg.Go(func() {
				for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
					req, err := channel.Render(dest, channel.Message{ID: fmt.Sprintf("ntf_%d", i), Content: content, CreatedAt: t0}, time.Now())
					if err != nil {
						b.Error(err)
						return
					}
					hreq, _ := http.NewRequest(http.MethodPost, req.URL, bytes.NewReader(req.Body))
					hreq.Header = req.Header
					resp, err := client.Do(hreq)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	})

	b.Run("worker", func(b *testing.B) {
		ctx := context.Background()
		_, js := servicetest.NATS(b)
		st := channelstore.New(servicetest.Postgres(b, migrations.Schema, migrations.FS))
		ch := channel.Channel{ID: "chn_01jdq000000000000000000001", OrgID: "org_a", Name: "bench", Type: channel.Webhook, Config: dest.Config, CreatedAt: t0, UpdatedAt: t0}
		if err := st.CreateChannel(ctx, ch); err != nil {
			b.Fatal(err)
		}
		pb := &notificationv1.Content{Kind: notificationv1.Kind_KIND_TRIGGER, Title: content.Title, Text: content.Text,
			Severity: notificationv1.Severity_SEVERITY_CRITICAL, AlertId: "alt_1", Fields: []*notificationv1.Field{{Name: "Service", Value: "API"}}}
		for i := range b.N {
			if _, err := notification.Enqueue(ctx, js, &notificationv1.Notification{
				OrgId: "org_a", IdempotencyKey: fmt.Sprintf("alt_1:%d", i), Destination: &notificationv1.Notification_ChannelId{ChannelId: ch.ID},
				Content: pb, CreatedAt: timestamppb.Now(),
			}); err != nil {
				b.Fatal(err)
			}
		}
		start := hits.Load()
		w := delivery.New(delivery.Config{Concurrency: benchConcurrency, AllowPrivate: loopback}, st, nil, clockwork.NewRealClock(), prometheus.NewRegistry(), logging.Discard())
		b.ResetTimer()
		if err := w.Start(ctx, js); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for hits.Load()-start < int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d delivered in 5 minutes", hits.Load()-start, b.N)
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		if err := w.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	})
}
