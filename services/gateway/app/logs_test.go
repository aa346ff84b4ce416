package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
)

func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{CacheTTL: time.Nanosecond, RateBurst: 1, RateLimit: 0.001})
	token, _ := e.receiver("plain", nil)
	signed, _ := e.receiver("signed", func(r *statusv1.Receiver) {
		r.Signature = &statusv1.Signature{Secret: "k", Scheme: "hex"}
	})
	uncached, _ := e.receiver("uncached", nil)
	unknown := tokenFor("nobody")

	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusTooManyRequests)
	wantStatus(t, e.post(signed, `{"status":"up"}`), http.StatusUnauthorized)
	wantStatus(t, e.post(unknown, `{"status":"up"}`), http.StatusNotFound)
	e.grpc.Stop()
	wantStatus(t, e.post(uncached, `{"status":"up"}`), http.StatusServiceUnavailable)

	logs := e.logs.String()
	for _, tok := range []string{token, signed, uncached, unknown} {
		if strings.Contains(logs, tok) || strings.Contains(logs, tok[:16]) {
			t.Fatalf("a token reached the logs:\n%s", logs)
		}
	}
	if !strings.Contains(logs, "/api/webhooks/incoming/"+token[:6]+"…") {
		t.Fatalf("access log lacks the redacted path:\n%s", logs)
	}
	if !strings.Contains(logs, `"status":503`) {
		t.Fatalf("the 503 was not logged:\n%s", logs)
	}
}
