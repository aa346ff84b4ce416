package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
	"github.com/upstatehq/upstate/webhook"
)

type acceptedBody struct {
	DeliveryID string `json:"delivery_id"`
	Result     string `json:"result"`
	Reason     string `json:"reason"`
}

func TestDeliverProcessedPublishesIngestEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, rcv := e.receiver("nested", func(r *statusv1.Receiver) {
		r.ServiceId = ""
		r.ServiceNameField = "component.name"
		r.StatusField = "checks.0.state"
		r.MessageField = "summary"
		r.StatusMapping = map[string]string{"Crashed": "down"}
	})
	body := `{"component":{"name":"API"},"checks":[{"state":"CRASHED"}],"summary":"db unreachable"}`

	rec := e.post(token, body)

	wantStatus(t, rec, http.StatusAccepted)
	got := decode[acceptedBody](t, rec)
	if !ids.HasPrefix(got.DeliveryID, ids.Delivery) || got.Result != "" {
		t.Fatalf("body %s, want only a dlv_ delivery id", rec.Body.String())
	}
	ev, msg := e.onlyEvent()
	if msg.Subject != bus.IngestSubject(rcv.OrgId, rcv.Id) {
		t.Errorf("subject %q", msg.Subject)
	}
	for h, want := range map[string]string{
		jetstream.MsgIDHeader: got.DeliveryID,
		bus.HeaderCEID:        got.DeliveryID,
		bus.HeaderCEType:      "upstate.ingest.v1.IngestEvent",
		bus.HeaderCESource:    "upstate/gateway",
	} {
		if v := msg.Header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
	switch {
	case ev.GetDeliveryId() != got.DeliveryID, ev.GetOrgId() != "org_test", ev.GetReceiverId() != rcv.Id:
		t.Errorf("ids: %v", ev)
	case ev.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED:
		t.Errorf("result %v", ev.GetResult())
	case ev.GetRawStatus() != "CRASHED" || ev.GetMappedStatus() != statusv1.Status_STATUS_DOWN:
		t.Errorf("status %q → %v", ev.GetRawStatus(), ev.GetMappedStatus())
	case ev.GetServiceName() != "API" || ev.GetMessage() != "db unreachable":
		t.Errorf("service %q message %q", ev.GetServiceName(), ev.GetMessage())
	case string(ev.GetPayload()) != body || ev.GetPayloadTruncated():
		t.Errorf("payload %q truncated %v", ev.GetPayload(), ev.GetPayloadTruncated())
	case ev.GetSourceIp() != "192.0.2.1":
		t.Errorf("source ip %q, want the peer's", ev.GetSourceIp())
	case ev.GetReplySubject() != "" || ev.GetError() != "":
		t.Errorf("reply %q error %q", ev.GetReplySubject(), ev.GetError())
	case !ev.GetReceivedAt().AsTime().Equal(e.clock.Now()):
		t.Errorf("received_at %v, want the clock's %v", ev.GetReceivedAt().AsTime(), e.clock.Now())
	}
	if n := e.deliveries("processed"); n != 1 {
		t.Errorf("processed deliveries counted %v, want 1", n)
	}
}

func TestDeliverTruncatesLargePayloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("big", nil)
	body := `{"status":"up","pad":"` + strings.Repeat("x", 100<<10) + `"}`

	wantStatus(t, e.post(token, body), http.StatusAccepted)

	ev, _ := e.onlyEvent()
	if len(ev.GetPayload()) != 64<<10 || !ev.GetPayloadTruncated() {
		t.Fatalf("payload of %d bytes, truncated %v; want 64 KiB, true", len(ev.GetPayload()), ev.GetPayloadTruncated())
	}
	if ev.GetMappedStatus() != statusv1.Status_STATUS_OPERATIONAL {
		t.Fatalf("mapped %v: the whole body must be interpreted", ev.GetMappedStatus())
	}
}

func TestDeliverRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("enabled", nil)
	disabled, _ := e.receiver("disabled", func(r *statusv1.Receiver) { r.Enabled = false })
	tooLarge := `{"status":"up","pad":"` + strings.Repeat("x", 1<<20) + `"}`

	tests := []struct {
		name    string
		token   string
		body    string
		chunked bool
		code    int
		errCode string
	}{
		{"short token", token[:63], `{"status":"up"}`, false, http.StatusNotFound, "not_found"},
		{"non-hex token", strings.Repeat("g", 64), `{"status":"up"}`, false, http.StatusNotFound, "not_found"},
		{"unknown token", tokenFor("nobody"), `{"status":"up"}`, false, http.StatusNotFound, "not_found"},
		{"disabled receiver", disabled, `{"status":"up"}`, false, http.StatusForbidden, "forbidden"},
		{"body over 1 MiB", token, tooLarge, false, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"chunked body over 1 MiB", token, tooLarge, true, http.StatusRequestEntityTooLarge, "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{token: tt.token, body: tt.body}
			rec := e.doChunked(req, tt.chunked)
			wantError(t, rec, tt.code, tt.errCode)
		})
	}
	if msgs := e.ingested(); len(msgs) != 0 {
		t.Fatalf("%d events published for rejected deliveries, want none", len(msgs))
	}
}

func TestDeliverBadSignatureIsPublishedAsAuthFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	const secret = "s3cret-hmac-key"
	sig := webhook.Signature{Secret: secret, Header: "X-Signature", Scheme: webhook.SchemeSHA256Prefixed}
	token, _ := e.receiver("signed", func(r *statusv1.Receiver) {
		r.Signature = &statusv1.Signature{Secret: secret, Header: "X-Signature", Scheme: "sha256="}
	})
	body := `{"status":"down"}`

	rec := e.do(request{token: token, body: body, header: http.Header{"X-Signature": {"sha256=" + strings.Repeat("0", 64)}}})

	b := wantError(t, rec, http.StatusUnauthorized, "unauthorized")
	if !strings.Contains(b.Error.Message, "signature mismatch") {
		t.Errorf("message %q does not say why", b.Error.Message)
	}
	ev, _ := e.onlyEvent()
	if ev.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED || !strings.Contains(ev.GetError(), "signature mismatch") {
		t.Fatalf("event result %v error %q", ev.GetResult(), ev.GetError())
	}
	if ev.GetMappedStatus() != statusv1.Status_STATUS_UNSPECIFIED || string(ev.GetPayload()) != body {
		t.Errorf("auth-failed event must carry the payload but no status: %v", ev)
	}
	if strings.Contains(ev.String(), secret) || strings.Contains(e.logs.String(), secret) {
		t.Fatal("the secret leaked into the event or the logs")
	}

	// A correctly signed delivery goes through.
	h := http.Header{}
	if err := webhook.Sign(sig, h, []byte(body), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(request{token: token, body: body, header: h}), http.StatusAccepted)
	if n := e.deliveries("auth_failed"); n != 1 {
		t.Errorf("auth_failed counted %v, want 1", n)
	}
}

func TestDeliverInvalidJSONIsPublishedAsFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("r", nil)

	rec := e.post(token, `{"status": "down"`)

	b := wantError(t, rec, http.StatusBadRequest, "bad_request")
	if !strings.Contains(b.Error.Message, "not valid JSON") {
		t.Errorf("message %q", b.Error.Message)
	}
	ev, _ := e.onlyEvent()
	if ev.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_FAILED || ev.GetError() == "" {
		t.Fatalf("event result %v error %q", ev.GetResult(), ev.GetError())
	}
}

func TestDeliverIgnoredWithReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, raw, reason string
	}{
		{"missing status", `{"state":"down"}`, "", `status_field "status" not found`},
		{"unmapped status", `{"status":"purple"}`, "purple", `status "purple" is not mapped`},
		{"non-scalar status", `{"status":{"code":3}}`, `{"code":3}`, "not a string, number or boolean"},
		{"null status", `{"status":null}`, "null", "not a string, number or boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, app.Config{})
			token, _ := e.receiver("r", nil)

			rec := e.post(token, tt.body)

			wantStatus(t, rec, http.StatusAccepted)
			got := decode[acceptedBody](t, rec)
			if got.Result != "ignored" || !strings.Contains(got.Reason, tt.reason) || got.DeliveryID == "" {
				t.Fatalf("body %s, want ignored with reason containing %q", rec.Body.String(), tt.reason)
			}
			ev, _ := e.onlyEvent()
			if ev.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED || ev.GetError() != got.Reason ||
				ev.GetRawStatus() != tt.raw || ev.GetDeliveryId() != got.DeliveryID {
				t.Fatalf("event %v", ev)
			}
		})
	}
}

func TestDeliverRateLimitedPerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{RateLimit: 0.5, RateBurst: 2})
	token, _ := e.receiver("busy", nil)
	other, _ := e.receiver("quiet", nil)

	for range 2 {
		wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	}
	rec := e.post(token, `{"status":"up"}`)

	wantError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if ra := rec.Header().Get("Retry-After"); ra != "2" {
		t.Fatalf("Retry-After %q, want 2 seconds: one delivery every 2s", ra)
	}
	wantStatus(t, e.post(other, `{"status":"up"}`), http.StatusAccepted)
	if n := len(e.ingested()); n != 3 {
		t.Fatalf("%d events, want 3: the limited delivery is not published", n)
	}

	// The bucket refills on the gateway's clock: one delivery 2s later.
	e.clock.Advance(2*time.Second - time.Nanosecond)
	wantError(t, e.post(token, `{"status":"up"}`), http.StatusTooManyRequests, "rate_limited")
	e.clock.Advance(time.Nanosecond)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	wantError(t, e.post(token, `{"status":"up"}`), http.StatusTooManyRequests, "rate_limited")
}

func TestDeliverIdempotencyKeyReplaysOriginalDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("a", nil)
	tokenB, _ := e.receiver("b", nil)

	for _, header := range []string{"webhook-id", "Idempotency-Key", "X-Request-Id"} {
		t.Run(header, func(t *testing.T) {
			before := len(e.ingested())
			h := http.Header{}
			h.Set(header, "msg_"+header)
			first := e.do(request{token: token, body: `{"status":"down"}`, header: h})
			wantStatus(t, first, http.StatusAccepted)
			again := e.do(request{token: token, body: `{"status":"down"}`, header: h})
			wantStatus(t, again, http.StatusAccepted)

			id1, id2 := decode[acceptedBody](t, first).DeliveryID, decode[acceptedBody](t, again).DeliveryID
			if id1 == "" || id1 != id2 {
				t.Fatalf("delivery ids %q and %q, want the original twice", id1, id2)
			}
			if again.Header().Get("Idempotent-Replayed") != "true" || first.Header().Get("Idempotent-Replayed") != "" {
				t.Error("only the replay is marked Idempotent-Replayed")
			}
			if n := len(e.ingested()) - before; n != 1 {
				t.Fatalf("%d events published, want 1", n)
			}
			// The same key on another receiver is another delivery.
			other := e.do(request{token: tokenB, body: `{"status":"down"}`, header: h})
			wantStatus(t, other, http.StatusAccepted)
			if decode[acceptedBody](t, other).DeliveryID == id1 {
				t.Fatal("keys must be scoped to a receiver")
			}
		})
	}
	if n := e.deliveries("duplicate"); n != 3 {
		t.Errorf("duplicates counted %v, want 3", n)
	}
}

// A key sent again with another body is a mistake of the sender, not a
// retry: it is refused 422, and the new body is neither published nor
// lost silently behind the original delivery id. The same body under
// the key is still a retry.
func TestDeliverIdempotencyKeyReusedWithAnotherBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("a", nil)

	for _, header := range []string{"webhook-id", "Idempotency-Key", "X-Request-Id"} {
		t.Run(header, func(t *testing.T) {
			before := len(e.ingested())
			h := http.Header{}
			h.Set(header, "msg_"+header)
			first := e.do(request{token: token, body: `{"status":"down"}`, header: h})
			wantStatus(t, first, http.StatusAccepted)

			other := e.do(request{token: token, body: `{"status":"up"}`, header: h})
			b := wantError(t, other, http.StatusUnprocessableEntity, "invalid_value")
			if !strings.Contains(b.Error.Message, http.CanonicalHeaderKey(header)) || !strings.Contains(b.Error.Message, "different body") {
				t.Errorf("message %q should name the header and say the body differs", b.Error.Message)
			}
			if other.Header().Get("Idempotent-Replayed") != "" {
				t.Error("a refused delivery is marked Idempotent-Replayed")
			}
			if n := len(e.ingested()) - before; n != 1 {
				t.Fatalf("%d events published, want only the first delivery's", n)
			}

			again := e.do(request{token: token, body: `{"status":"down"}`, header: h})
			wantStatus(t, again, http.StatusAccepted)
			if id1, id2 := decode[acceptedBody](t, first).DeliveryID, decode[acceptedBody](t, again).DeliveryID; id1 != id2 {
				t.Fatalf("retry with the first body answered %q, want the original %q", id2, id1)
			}
			if again.Header().Get("Idempotent-Replayed") != "true" {
				t.Error("the retry is not marked Idempotent-Replayed")
			}
		})
	}
	if n := e.deliveries("key_reused"); n != 3 {
		t.Errorf("reused keys counted %v, want 3", n)
	}
}

func TestDeliverSourceIPFromTrustedProxiesOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted []string
		remote  string
		want    string
	}{
		{"no proxies trusted", nil, "10.0.0.5:4000", "10.0.0.5"},
		{"peer is a trusted proxy", []string{"10.0.0.0/8"}, "10.0.0.5:4000", "203.0.113.7"},
		{"peer is not a trusted proxy", []string{"10.0.0.0/8"}, "198.51.100.9:4000", "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, app.Config{TrustedProxies: prefixes(t, tt.trusted...)})
			token, _ := e.receiver("r", nil)
			h := http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.9"}}

			wantStatus(t, e.do(request{token: token, body: `{"status":"up"}`, header: h, remote: tt.remote}), http.StatusAccepted)

			if ev, _ := e.onlyEvent(); ev.GetSourceIp() != tt.want {
				t.Fatalf("source ip %q, want %q", ev.GetSourceIp(), tt.want)
			}
		})
	}
}

// Without a clock in its dependencies the gateway runs on the wall clock.
func TestNoClockMeansTheWallClock(t *testing.T) {
	t.Parallel()
	e := newEnvOn(t, app.Config{}, nil)
	token, _ := e.receiver("r", nil)
	before := time.Now()

	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)

	ev, _ := e.onlyEvent()
	if at := ev.GetReceivedAt().AsTime(); at.Before(before) || at.After(time.Now()) {
		t.Fatalf("received_at %v, want about %v", at, time.Now())
	}
}
