package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/webhook"
)

// A webhook channel over REST on the whole stack (its NATS users
// included): the secret answered once verifies the test message a local
// catcher receives, the history lists the attempt, a catcher that refuses
// with 410 makes the notification dead at once, and retrying it by hand
// delivers it once the catcher accepts again.
func TestChannelsAndNotificationsOverREST(t *testing.T) {
	t.Parallel()
	s := startStackWith(t, nil, func(c *standalone.Config) { c.Notification.AllowPrivate = "127.0.0.0/8,::1/128" })
	key := bootstrapKey
	var (
		mu     sync.Mutex
		gone   bool
		got    []*http.Request
		bodies [][]byte
	)
	catcher := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		got, bodies = append(got, r), append(bodies, b)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(catcher.Close)

	wantError(t, s.do(http.MethodPost, "/api/v1/channels", key, `{"name":"bot","type":"sms","config":{}}`), http.StatusUnprocessableEntity, "type")
	wantError(t, s.do(http.MethodPost, "/api/v1/channels", key, `{"name":"bot","type":"slack","config":{}}`), http.StatusUnprocessableEntity, "config.url")
	r := s.do(http.MethodPost, "/api/v1/channels", key, map[string]any{"name": "bot", "type": "webhook", "config": map[string]any{"url": catcher.URL + "/in"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	ch := r.json(t)
	id, secret := ch["id"].(string), ch["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || ch["config"].(map[string]any)["url"] != catcher.URL+"/…" {
		t.Fatalf("channel %v", ch)
	}
	if strings.Contains(string(s.do(http.MethodGet, "/api/v1/channels/"+id, key, nil).Body), "whsec_") {
		t.Error("the secret is answered again")
	}

	r = s.do(http.MethodPost, "/api/v1/channels/"+id+"/test", key, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}
	ntf := r.json(t)["notification_id"].(string)
	testenv.Eventually(t, 20*time.Second, func() error {
		n := s.do(http.MethodGet, "/api/v1/notifications/"+ntf, key, nil).json(t)
		if n["status"] != "delivered" || len(n["attempts"].([]any)) != 1 {
			return fmt.Errorf("notification %v", n)
		}
		return nil
	})
	mu.Lock()
	if len(got) != 1 || got[0].Header.Get("webhook-id") != ntf ||
		webhook.Verify(webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}, got[0].Header, bodies[0], time.Now()) != nil {
		t.Errorf("the catcher got %d requests, the first %v", len(got), got)
	}
	gone = true
	mu.Unlock()

	r = s.do(http.MethodPost, "/api/v1/channels/"+id+"/test", key, nil)
	dead := r.json(t)["notification_id"].(string)
	testenv.Eventually(t, 20*time.Second, func() error {
		list := s.do(http.MethodGet, "/api/v1/notifications?status=dead&channel_id="+id, key, nil).json(t)["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != dead {
			return fmt.Errorf("dead notifications %v", list)
		}
		return nil
	})
	wantError(t, s.do(http.MethodPost, "/api/v1/notifications/"+ntf+"/retry", key, nil), http.StatusConflict, "dead")
	mu.Lock()
	gone = false
	mu.Unlock()
	if r := s.do(http.MethodPost, "/api/v1/notifications/"+dead+"/retry", key, nil); r.Status != http.StatusAccepted || r.json(t)["status"] != "pending" {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		n := s.do(http.MethodGet, "/api/v1/notifications/"+dead, key, nil).json(t)
		if n["status"] != "delivered" || len(n["attempts"].([]any)) != 2 {
			return fmt.Errorf("notification %v", n)
		}
		return nil
	})
	wantError(t, s.do(http.MethodGet, "/api/v1/notifications?status=lost", key, nil), http.StatusUnprocessableEntity, "status")
}
