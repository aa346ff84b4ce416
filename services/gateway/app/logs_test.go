package app_test

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
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

// A sender that gets its URL slightly wrong still must not put its token
// in the access log: whatever route matched, or none, every run of 64 hex
// digits in a logged path is hidden, and the request is still logged.
func TestMalformedWebhookPathsNeverLogTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("r", nil)
	other := tokenFor("another receiver")
	upper := strings.ToUpper(token)
	// The path as sent may spell the token's digits with %-escapes.
	escaped := "%" + hex.EncodeToString([]byte(token[:1])) + token[1:]

	tests := []struct {
		name, method, target string
		secrets              []string
	}{
		{"empty segment before the token", http.MethodPost, "/api/webhooks/incoming//" + token, nil},
		{"dot segment", http.MethodPost, "/api/webhooks/incoming/./" + token, nil},
		{"dot-dot segments", http.MethodPost, "/x/../api/webhooks/incoming/" + token, nil},
		{"other casing", http.MethodPost, "/API/Webhooks/Incoming/" + token, nil},
		{"upper-case token, other casing", http.MethodPost, "/Api/webhooks/incoming/" + upper, []string{upper}},
		{"other prefix", http.MethodPost, "/webhooks/incoming/" + token, nil},
		{"behind a path prefix", http.MethodPost, "/upstate/api/webhooks/incoming/" + token, nil},
		{"under /api/v1", http.MethodPost, "/api/v1/webhooks/incoming/" + token, nil},
		{"token alone", http.MethodPost, "/" + token, nil},
		{"token glued to a word", http.MethodPost, "/hooks/x" + token + "y", nil},
		{"second token after the first", http.MethodPost, "/api/webhooks/incoming/" + token + "/" + other, []string{other}},
		{"escaped digits", http.MethodPost, "/hooks/" + escaped, nil},
		{"escaped slash", http.MethodPost, "/api/webhooks/incoming%2F" + token, nil},
		{"token in the query", http.MethodPost, "/api/webhooks/incoming?token=" + token, nil},
		{"token in the query of the route", http.MethodPost, "/api/webhooks/incoming/" + other + "?token=" + token, []string{other}},
		{"token under another route", http.MethodGet, "/healthz/" + token, nil},
		{"wrong method on the route", http.MethodGet, "/api/webhooks/incoming/" + token + "/" + other, []string{other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A second apart, so no line is left out for the budget of
			// refused requests.
			e.clock.Advance(time.Second)
			before := e.logs.String()
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(`{"status":"up"}`))
			rec := httptest.NewRecorder()
			e.echo.ServeHTTP(rec, req)

			logged := strings.TrimPrefix(e.logs.String(), before)
			if !strings.Contains(logged, `"msg":"http request"`) || !strings.Contains(logged, fmt.Sprintf(`"status":%d`, rec.Code)) {
				t.Fatalf("no access-log line for %s %s (%d):\n%s", tt.method, tt.target, rec.Code, logged)
			}
			for _, s := range append([]string{token}, tt.secrets...) {
				if strings.Contains(logged, s) || strings.Contains(logged, s[:16]) {
					t.Fatalf("a token reached the log:\n%s", logged)
				}
			}
		})
	}
}

// A flood of deliveries to unknown tokens writes no more access-log lines
// than the budget of refused requests allows in a second; the metrics
// count every one.
func TestRefusedFloodIsNotLoggedLineByLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	const n = 1000
	for i := range n {
		// Ten unknown tokens: each is refused 404, then 429 past its burst.
		rec := e.post(tokenFor(fmt.Sprint("nobody ", i%10)), `{"status":"up"}`)
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 404 or 429", rec.Code)
		}
	}

	lines := strings.Count(e.logs.String(), `"msg":"http request"`)
	if lines != httpx.DefaultRefusedLogLines {
		t.Fatalf("%d refused deliveries wrote %d access-log lines, want %d", n, lines, httpx.DefaultRefusedLogLines)
	}
	if got := e.counter("http_access_log_suppressed_total"); got != n-lines {
		t.Fatalf("suppressed lines counted %d, want %d", got, n-lines)
	}
	if got := e.counter("http_requests_total"); got != n {
		t.Fatalf("http_requests_total counts %d requests, want %d", got, n)
	}
	if got := e.deliveries("not_found") + e.deliveries("rate_limited"); got != n {
		t.Fatalf("not_found and rate_limited deliveries counted %v, want %d", got, n)
	}

	// Accepted deliveries are logged whatever the budget.
	token, _ := e.receiver("r", nil)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	if got := strings.Count(e.logs.String(), `"msg":"http request"`); got != lines+1 {
		t.Fatalf("the accepted delivery was not logged (%d lines, want %d)", got, lines+1)
	}
}
