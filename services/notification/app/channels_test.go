package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/app"
	"github.com/upstatehq/upstate/services/notification/internal/delivery"
	"github.com/upstatehq/upstate/services/notification/migrations"
	"github.com/upstatehq/upstate/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// catcher is a local webhook receiver that keeps what it got.
type catcher struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (c *catcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs, c.body = append(c.reqs, r), append(c.body, b)
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// The service as bin/upstate runs it, over gRPC: a webhook channel's
// secret is answered once and verifies its test message, credentials come
// back masked, the history shows the delivery, and bad input names its
// field.
func TestChannelsEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, js := servicetest.NATS(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC))
	a := app.New(app.Config{Concurrency: 4, Delivery: delivery.Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}},
		app.Deps{Conns: service.Conns{Pool: servicetest.Postgres(t, migrations.Schema, migrations.FS), JS: js, Logger: logging.Discard(), Registry: prometheus.NewRegistry(), Clock: clock}})
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(ctx) })
	conn := testenv.ServeGRPC(t, logging.Discard(), a.RegisterGRPC)
	channels, notes := notificationv1.NewChannelServiceClient(conn), notificationv1.NewNotificationServiceClient(conn)
	c := &catcher{}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)

	created, err := channels.CreateChannel(ctx, &notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "Incident bot",
		Type: notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK, Config: &notificationv1.ChannelConfig{Url: srv.URL + "/hook?token=s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	ch := created.GetChannel()
	if !strings.HasPrefix(created.GetSecret(), "whsec_") || ch.GetConfig().GetUrl() != srv.URL+"/…" || ch.GetConfig().GetSecret() != "" {
		t.Fatalf("created %v", created)
	}
	got, err := channels.GetChannel(ctx, &notificationv1.GetChannelRequest{OrgId: "org_a", ChannelId: ch.GetId()})
	if err != nil || strings.Contains(got.String(), "s3cret") || strings.Contains(got.String(), "whsec_") {
		t.Fatalf("get %v, %v: a credential is shown", got, err)
	}
	if _, err := channels.GetChannel(ctx, &notificationv1.GetChannelRequest{OrgId: "org_b", ChannelId: ch.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("another organisation's channel: %v", err)
	}

	test, err := channels.TestChannel(ctx, &notificationv1.TestChannelRequest{OrgId: "org_a", ChannelId: ch.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.reqs) != 1 {
			return fmt.Errorf("%d requests", len(c.reqs))
		}
		return nil
	})
	c.mu.Lock()
	r, body := c.reqs[0], c.body[0]
	c.mu.Unlock()
	sig := webhook.Signature{Secret: created.GetSecret(), Scheme: webhook.SchemeStandardWebhooks}
	if err := webhook.Verify(sig, r.Header, body, clock.Now()); err != nil || r.Header.Get("webhook-id") != test.GetNotificationId() ||
		!bytes.Contains(body, []byte(`"type":"notification.test"`)) || r.URL.Query().Get("token") != "s3cret" {
		t.Fatalf("delivery %v %s: %v", r.Header, body, err)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		list, err := notes.ListNotifications(ctx, &notificationv1.ListNotificationsRequest{OrgId: "org_a", ChannelId: ch.GetId()})
		if err != nil {
			return err
		}
		if n := list.GetNotifications(); len(n) != 1 || n[0].GetStatus() != notificationv1.NotificationStatus_NOTIFICATION_STATUS_DELIVERED ||
			len(n[0].GetAttempts()) != 1 || n[0].GetAttempts()[0].GetStatusCode() != 204 || n[0].GetId() != test.GetNotificationId() {
			return fmt.Errorf("history %v", n)
		}
		return nil
	})
	if _, err := notes.RetryNotification(ctx, &notificationv1.RetryNotificationRequest{OrgId: "org_a", NotificationId: test.GetNotificationId()}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("retrying a delivered notification: %v", err)
	}

	for _, tt := range []struct {
		req   *notificationv1.CreateChannelRequest
		field string
	}{
		{&notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "x", Type: notificationv1.ChannelType_CHANNEL_TYPE_SLACK}, "config.url"},
		{&notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "x"}, "type"},
		{&notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "x", Type: notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK,
			Config: &notificationv1.ChannelConfig{Url: "https://x.example", Secret: "whsec_mine"}}, "config.secret"},
		{&notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "x", Type: notificationv1.ChannelType_CHANNEL_TYPE_EMAIL,
			Config: &notificationv1.ChannelConfig{To: "not an address"}}, "config.to"},
	} {
		_, err := channels.CreateChannel(ctx, tt.req)
		if vs := grpcx.FieldViolations(err); status.Code(err) != codes.InvalidArgument || len(vs) != 1 || vs[0].Field != tt.field {
			t.Errorf("%v: %v, want INVALID_ARGUMENT on %s", tt.req, err, tt.field)
		}
	}
	_, err = channels.CreateChannel(ctx, &notificationv1.CreateChannelRequest{OrgId: "org_a", Name: "INCIDENT BOT",
		Type: notificationv1.ChannelType_CHANNEL_TYPE_SLACK, Config: &notificationv1.ChannelConfig{Url: "https://hooks.slack.com/x"}})
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("a duplicate name: %v", err)
	}
	upd, err := channels.UpdateChannel(ctx, &notificationv1.UpdateChannelRequest{OrgId: "org_a", ChannelId: ch.GetId(), Config: &notificationv1.ChannelConfig{}})
	if err != nil || upd.GetChannel().GetConfig().GetUrl() != srv.URL+"/…" {
		t.Errorf("an empty config update: %v, %v", upd, err)
	}
}
