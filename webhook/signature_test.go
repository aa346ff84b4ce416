package webhook_test

import (
	"errors"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// Published Standard Webhooks vector: TestWebhookSign in
// github.com/standard-webhooks/standard-webhooks libraries/go/webhook_test.go
// (the other reference libraries test the same values).
const (
	swSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTimestamp = 1614265330
	swBody      = `{"test": 2432232314}`
	swExpected  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// GitHub's documented test values, "Testing the webhook payload validation"
// in https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
const (
	ghSecret   = "It's a Secret to Everybody"
	ghBody     = "Hello, World!"
	ghExpected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

// An independent vector from OpenSSL:
//
//	body='{"component":"api","status":"major_outage"}'
//	secret='upstate-signing-secret'
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret"
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64
const (
	osslSecret    = "upstate-signing-secret"
	osslBody      = `{"component":"api","status":"major_outage"}`
	osslHex       = "68636364904a66aa35fa833852d29723ac1f9a271e91b3c18e48190a438195ac"
	osslBase64    = "aGNjZJBKZqo1+oM4UtKXI6wfmicekbPBjkgZCkOBlaw="
	defaultHeader = webhook.DefaultSignatureHeader
)

// signed returns the headers Sign sets for body, starting from webhook-id
// when id is not empty.
func signed(tb testing.TB, s webhook.Signature, id string, body []byte, now time.Time) http.Header {
	tb.Helper()
	h := http.Header{}
	if id != "" {
		h.Set(webhook.HeaderWebhookID, id)
	}
	if err := webhook.Sign(s, h, body, now); err != nil {
		tb.Fatalf("Sign(%s): %v", s.Scheme, err)
	}
	return h
}

// isRefusal reports whether err wraps one of the reasons Verify gives for
// refusing a delivery.
func isRefusal(err error) bool {
	return errors.Is(err, webhook.ErrMissingSignature) ||
		errors.Is(err, webhook.ErrMalformedSignature) ||
		errors.Is(err, webhook.ErrSignatureMismatch) ||
		errors.Is(err, webhook.ErrTimestampOutOfRange)
}

// assertNoLeak fails when err's message contains any of secrets.
func assertNoLeak(tb testing.TB, err error, secrets ...string) {
	tb.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
			tb.Fatalf("error %q reveals a secret or the expected MAC", err)
		}
	}
}

func TestVerifyGoldenVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sig    webhook.Signature
		header map[string]string
		body   string
		now    time.Time
	}{
		{
			name:   "standard webhooks published example",
			sig:    webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks},
			header: map[string]string{"webhook-id": swID, "webhook-timestamp": "1614265330", "webhook-signature": swExpected},
			body:   swBody,
			now:    time.Unix(swTimestamp, 0),
		},
		{
			name:   "github documented example",
			sig:    webhook.Signature{Secret: ghSecret, Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed},
			header: map[string]string{"X-Hub-Signature-256": ghExpected},
			body:   ghBody,
		},
		{
			name:   "github documented example as bare hex",
			sig:    webhook.Signature{Secret: ghSecret},
			header: map[string]string{defaultHeader: strings.TrimPrefix(ghExpected, "sha256=")},
			body:   ghBody,
		},
		{
			name:   "openssl hex",
			sig:    webhook.Signature{Secret: osslSecret, Scheme: webhook.SchemeHex},
			header: map[string]string{defaultHeader: osslHex},
			body:   osslBody,
		},
		{
			name:   "openssl base64",
			sig:    webhook.Signature{Secret: osslSecret, Header: "X-Signature", Scheme: webhook.SchemeBase64},
			header: map[string]string{"X-Signature": osslBase64},
			body:   osslBody,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if err := webhook.Verify(tt.sig, h, []byte(tt.body), tt.now); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := webhook.Verify(tt.sig, h, []byte(tt.body+" "), tt.now); !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Fatalf("Verify with a longer body = %v, want ErrSignatureMismatch", err)
			}
			got := signed(t, tt.sig, h.Get(webhook.HeaderWebhookID), []byte(tt.body), tt.now)
			if !maps.EqualFunc(got, h, slices.Equal) {
				t.Errorf("Sign set %v, want %v", got, h)
			}
		})
	}
}

func TestVerifyStandardWebhooksVectorOutsideTolerance(t *testing.T) {
	t.Parallel()
	s := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	h := http.Header{}
	h.Set("webhook-id", swID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", swExpected)
	err := webhook.Verify(s, h, []byte(swBody), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, webhook.ErrTimestampOutOfRange) {
		t.Fatalf("Verify years later = %v, want ErrTimestampOutOfRange", err)
	}
}

// TestVerifyRefusesSingleByteMutations changes one byte of a signed
// delivery at a time, deterministically, and expects every change refused.
func TestVerifyRefusesSingleByteMutations(t *testing.T) {
	t.Parallel()
	const perScheme = 1000
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"component":"api","status":"major_outage","message":"Elevated error rates on /v1/checks"}`)
	tests := []struct {
		sig       webhook.Signature
		sigHeader string
		fields    []string // headers mutated besides the body
		hexFrom   int      // the signature's hex digits start here; -1 when not hex
	}{
		{webhook.Signature{Secret: osslSecret}, defaultHeader, []string{defaultHeader}, 0},
		{webhook.Signature{Secret: ghSecret, Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed}, "X-Hub-Signature-256", []string{"X-Hub-Signature-256"}, len("sha256=")},
		{webhook.Signature{Secret: osslSecret, Scheme: webhook.SchemeBase64}, defaultHeader, []string{defaultHeader}, -1},
		{
			webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}, webhook.HeaderWebhookSignature,
			[]string{webhook.HeaderWebhookSignature, webhook.HeaderWebhookTimestamp, webhook.HeaderWebhookID}, -1,
		},
	}
	for seed, tt := range tests {
		t.Run(string(tt.sig.Scheme), func(t *testing.T) {
			t.Parallel()
			h := signed(t, tt.sig, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", body, now)
			if err := webhook.Verify(tt.sig, h, body, now); err != nil {
				t.Fatalf("unchanged delivery refused: %v", err)
			}
			expected := h.Get(tt.sigHeader)
			fields := append([]string{"body"}, tt.fields...)
			rng := rand.New(rand.NewPCG(0x75707374617465, uint64(seed)))
			counts := map[string]int{}
			for i := range perScheme {
				field := fields[rng.IntN(len(fields))]
				mbody, mh := slices.Clone(body), h.Clone()
				target := mbody
				if field != "body" {
					target = []byte(mh.Get(field))
				}
				pos := rng.IntN(len(target))
				old, b := target[pos], byte(rng.IntN(256))
				// A hex digit in the other case is the same signature.
				for b == old || (field == tt.sigHeader && tt.hexFrom >= 0 && pos >= tt.hexFrom && isHexLetter(old) && b == old^0x20) {
					b = byte(rng.IntN(256))
				}
				target[pos] = b
				if field != "body" {
					mh.Set(field, string(target))
				}
				err := webhook.Verify(tt.sig, mh, mbody, now)
				if err == nil {
					t.Fatalf("mutation %d accepted: %s byte %d changed from %q to %q", i, field, pos, old, b)
				}
				if !isRefusal(err) {
					t.Fatalf("mutation %d: error %v wraps no refusal reason", i, err)
				}
				assertNoLeak(t, err, tt.sig.Secret, strings.TrimPrefix(tt.sig.Secret, "whsec_"), expected, strings.TrimPrefix(expected, "v1,"))
				counts[field]++
			}
			for _, f := range fields {
				if counts[f] < perScheme/(2*len(fields)) {
					t.Errorf("%s mutated only %d times", f, counts[f])
				}
			}
			t.Logf("mutations per field: %v", counts)
		})
	}
}

func isHexLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'f' }

func TestStandardWebhooksTimestampTolerance(t *testing.T) {
	t.Parallel()
	s := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		signed  time.Time
		now     time.Time
		wantErr error
	}{
		{"now", now, now, nil},
		{"300 s old", now.Add(-300 * time.Second), now, nil},
		{"300 s ahead", now.Add(300 * time.Second), now, nil},
		{"301 s old", now.Add(-301 * time.Second), now, webhook.ErrTimestampOutOfRange},
		{"301 s ahead", now.Add(301 * time.Second), now, webhook.ErrTimestampOutOfRange},
		{"300 s old by whole seconds of the receiver's clock", now.Add(-300 * time.Second), now.Add(999 * time.Millisecond), nil},
		{"a day old", now.Add(-24 * time.Hour), now, webhook.ErrTimestampOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := signed(t, s, swID, []byte(swBody), tt.signed)
			if err := webhook.Verify(s, h, []byte(swBody), tt.now); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStandardWebhooksSignatureList(t *testing.T) {
	t.Parallel()
	const other = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	s := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	now := time.Unix(swTimestamp, 0)
	good := swExpected
	otherSig := signed(t, webhook.Signature{Secret: other, Scheme: webhook.SchemeStandardWebhooks}, swID, []byte(swBody), now).Get(webhook.HeaderWebhookSignature)
	goodMAC := strings.TrimPrefix(good, "v1,")
	// The same MAC with its two unused low bits set: decoders that do not
	// insist on canonical base64 read it as the valid signature.
	nonCanonical := "v1," + goodMAC[:42] + "F="
	tests := []struct {
		name    string
		lines   []string
		wantErr error
	}{
		{"single valid", []string{good}, nil},
		{"valid after invalid", []string{otherSig + " " + good}, nil},
		{"valid before invalid", []string{good + " " + otherSig}, nil},
		{"valid among unknown versions", []string{"v1a,aGVsbG8= " + "v2," + goodMAC + " " + good}, nil},
		{"valid after an entry without a comma", []string{"garbage " + good}, nil},
		{"tabs and runs of spaces", []string{"\t" + otherSig + "   \t " + good + " "}, nil},
		{"valid on a second header line", []string{otherSig, good}, nil},
		{"only invalid", []string{otherSig + " " + otherSig}, webhook.ErrSignatureMismatch},
		{"valid MAC under an unknown version", []string{"v2," + goodMAC}, webhook.ErrMissingSignature},
		{"only v1a", []string{"v1a,aGVsbG8="}, webhook.ErrMissingSignature},
		{"version prefix in another case", []string{"V1," + goodMAC}, webhook.ErrMissingSignature},
		{"unpadded base64", []string{strings.TrimSuffix(good, "=")}, webhook.ErrMalformedSignature},
		{"non-canonical base64", []string{nonCanonical}, webhook.ErrMalformedSignature},
		{"url-safe base64", []string{"v1," + strings.NewReplacer("+", "-", "/", "_").Replace(goodMAC)}, webhook.ErrMalformedSignature},
		{"no comma", []string{"v1" + goodMAC}, webhook.ErrMalformedSignature},
		{"empty", []string{" "}, webhook.ErrMissingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			h.Set(webhook.HeaderWebhookID, swID)
			h.Set(webhook.HeaderWebhookTimestamp, "1614265330")
			for _, l := range tt.lines {
				h.Add(webhook.HeaderWebhookSignature, l)
			}
			if err := webhook.Verify(s, h, []byte(swBody), now); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStandardWebhooksSecretRotation(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"status":"operational"}`)
	oldKey := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	newKey := webhook.Signature{Secret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", Scheme: webhook.SchemeStandardWebhooks}
	h := signed(t, oldKey, swID, body, now)
	both := h.Get(webhook.HeaderWebhookSignature) + " " + signed(t, newKey, swID, body, now).Get(webhook.HeaderWebhookSignature)
	h.Set(webhook.HeaderWebhookSignature, both)
	for _, s := range []webhook.Signature{oldKey, newKey} {
		if err := webhook.Verify(s, h, body, now); err != nil {
			t.Errorf("Verify with either key: %v", err)
		}
	}
}

func TestVerifyAcceptedSpellings(t *testing.T) {
	t.Parallel()
	hexSig := webhook.Signature{Secret: osslSecret}
	ghSig := webhook.Signature{Secret: ghSecret, Header: "x-hub-signature-256", Scheme: webhook.SchemeSHA256Prefixed}
	b64Sig := webhook.Signature{Secret: osslSecret, Scheme: webhook.SchemeBase64}
	tests := []struct {
		name  string
		sig   webhook.Signature
		value string
		body  string
	}{
		{"uppercase hex", hexSig, strings.ToUpper(osslHex), osslBody},
		{"mixed case hex", hexSig, "68636364904A66aa35FA833852d29723ac1f9a271e91b3c18e48190a438195AC", osslBody},
		{"hex with spaces and tabs around", hexSig, " \t" + osslHex + "\t ", osslBody},
		{"sha256= with uppercase hex", ghSig, "sha256=" + strings.ToUpper(strings.TrimPrefix(ghExpected, "sha256=")), ghBody},
		{"sha256= with spaces around", ghSig, "  " + ghExpected + " ", ghBody},
		{"base64 with spaces around", b64Sig, " " + osslBase64 + " ", osslBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			h.Set(tt.sig.Normalized().Header, tt.value)
			if err := webhook.Verify(tt.sig, h, []byte(tt.body), time.Time{}); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyRefusals(t *testing.T) {
	t.Parallel()
	hexSig := webhook.Signature{Secret: osslSecret}
	ghSig := webhook.Signature{Secret: ghSecret, Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed}
	b64Sig := webhook.Signature{Secret: osslSecret, Scheme: webhook.SchemeBase64}
	swSig := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	ghHex := strings.TrimPrefix(ghExpected, "sha256=")
	sw := func(id, ts, sig string) map[string][]string {
		h := map[string][]string{}
		for k, v := range map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": sig} {
			if v != "-" {
				h[k] = []string{v}
			}
		}
		return h
	}
	tests := []struct {
		name    string
		sig     webhook.Signature
		header  map[string][]string
		body    string
		wantErr error
	}{
		{"hex absent", hexSig, nil, osslBody, webhook.ErrMissingSignature},
		{"hex under another header", hexSig, map[string][]string{"X-Signature": {osslHex}}, osslBody, webhook.ErrMissingSignature},
		{"hex empty", hexSig, map[string][]string{defaultHeader: {""}}, osslBody, webhook.ErrMissingSignature},
		{"hex only spaces", hexSig, map[string][]string{defaultHeader: {" \t "}}, osslBody, webhook.ErrMissingSignature},
		{"hex twice", hexSig, map[string][]string{defaultHeader: {osslHex, osslHex}}, osslBody, webhook.ErrMalformedSignature},
		{"hex too short", hexSig, map[string][]string{defaultHeader: {osslHex[:63]}}, osslBody, webhook.ErrMalformedSignature},
		{"hex too long", hexSig, map[string][]string{defaultHeader: {osslHex + "0"}}, osslBody, webhook.ErrMalformedSignature},
		{"hex with a non-hex digit", hexSig, map[string][]string{defaultHeader: {"g" + osslHex[1:]}}, osslBody, webhook.ErrMalformedSignature},
		{"hex with a prefix", hexSig, map[string][]string{defaultHeader: {"sha256=" + osslHex}}, osslBody, webhook.ErrMalformedSignature},
		{"hex of another body", hexSig, map[string][]string{defaultHeader: {osslHex}}, osslBody + "\n", webhook.ErrSignatureMismatch},
		{"sha256= missing prefix", ghSig, map[string][]string{"X-Hub-Signature-256": {ghHex}}, ghBody, webhook.ErrMalformedSignature},
		{"sha256= prefix in uppercase", ghSig, map[string][]string{"X-Hub-Signature-256": {"SHA256=" + ghHex}}, ghBody, webhook.ErrMalformedSignature},
		{"sha1= prefix", ghSig, map[string][]string{"X-Hub-Signature-256": {"sha1=" + ghHex}}, ghBody, webhook.ErrMalformedSignature},
		{"sha256= of another body", ghSig, map[string][]string{"X-Hub-Signature-256": {ghExpected}}, "Hello, World?", webhook.ErrSignatureMismatch},
		{"base64 unpadded", b64Sig, map[string][]string{defaultHeader: {strings.TrimSuffix(osslBase64, "=")}}, osslBody, webhook.ErrMalformedSignature},
		{"base64 as hex", b64Sig, map[string][]string{defaultHeader: {osslHex}}, osslBody, webhook.ErrMalformedSignature},
		{"base64 with an embedded newline", b64Sig, map[string][]string{defaultHeader: {osslBase64[:20] + "\n" + osslBase64[20:]}}, osslBody, webhook.ErrMalformedSignature},
		{"base64 of another body", b64Sig, map[string][]string{defaultHeader: {osslBase64}}, "{}", webhook.ErrSignatureMismatch},
		{"standard id missing", swSig, sw("-", "1614265330", swExpected), swBody, webhook.ErrMissingSignature},
		{"standard id empty", swSig, sw(" ", "1614265330", swExpected), swBody, webhook.ErrMissingSignature},
		{"standard timestamp missing", swSig, sw(swID, "-", swExpected), swBody, webhook.ErrMissingSignature},
		{"standard signature missing", swSig, sw(swID, "1614265330", "-"), swBody, webhook.ErrMissingSignature},
		{"standard timestamp with a sign", swSig, sw(swID, "+1614265330", swExpected), swBody, webhook.ErrMalformedSignature},
		{"standard timestamp with a fraction", swSig, sw(swID, "1614265330.0", swExpected), swBody, webhook.ErrMalformedSignature},
		{"standard timestamp in milliseconds", swSig, sw(swID, "1614265330000", swExpected), swBody, webhook.ErrTimestampOutOfRange},
		{"standard timestamp overflowing", swSig, sw(swID, "99999999999999999999", swExpected), swBody, webhook.ErrMalformedSignature},
		{"standard timestamp with a leading zero", swSig, sw(swID, "01614265330", swExpected), swBody, webhook.ErrSignatureMismatch},
		{"standard other id", swSig, sw("msg_other", "1614265330", swExpected), swBody, webhook.ErrSignatureMismatch},
		{"standard id twice", swSig, map[string][]string{"Webhook-Id": {swID, swID}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {swExpected}}, swBody, webhook.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(tt.sig, tt.header, []byte(tt.body), time.Unix(swTimestamp, 0))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			assertNoLeak(t, err, tt.sig.Secret, strings.TrimPrefix(tt.sig.Secret, "whsec_"), osslHex, osslBase64, ghHex, strings.TrimPrefix(swExpected, "v1,"))
		})
	}
}

func TestVerifyStandardWebhooksSpacesAround(t *testing.T) {
	t.Parallel()
	s := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	h := http.Header{}
	h.Set("webhook-id", " "+swID+"\t")
	h.Set("webhook-timestamp", "\t1614265330 ")
	h.Set("webhook-signature", "  "+swExpected+"  ")
	if err := webhook.Verify(s, h, []byte(swBody), time.Unix(swTimestamp, 0)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := webhook.StandardWebhookID(h); got != swID {
		t.Errorf("StandardWebhookID = %q, want %q", got, swID)
	}
}

func TestStandardWebhookID(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if got := webhook.StandardWebhookID(h); got != "" {
		t.Errorf("StandardWebhookID without the header = %q, want empty", got)
	}
	h["Webhook-Id"] = []string{swID}
	if got := webhook.StandardWebhookID(h); got != swID {
		t.Errorf("StandardWebhookID = %q, want %q", got, swID)
	}
}

func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"status":"degraded"}`)
	for _, s := range []webhook.Signature{
		{Secret: osslSecret},
		{Secret: osslSecret, Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed},
		{Secret: osslSecret, Header: "Signature", Scheme: webhook.SchemeBase64},
		{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks},
	} {
		t.Run(string(s.Normalized().Scheme), func(t *testing.T) {
			t.Parallel()
			h := signed(t, s, "evt_01J9Z3", body, now)
			if err := webhook.Verify(s, h, body, now); err != nil {
				t.Fatalf("Verify of a signed delivery: %v", err)
			}
			if err := webhook.Verify(s, h, append(slices.Clone(body), ' '), now); !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Fatalf("Verify of another body = %v, want ErrSignatureMismatch", err)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	sw := webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		sig  webhook.Signature
		id   string
		now  time.Time
	}{
		{"standard without webhook-id", sw, "", now},
		{"standard id with a dot", sw, "msg.1", now},
		{"standard id with a space", sw, "msg 1", now},
		{"standard id with a control character", sw, "msg\x7f", now},
		{"standard before the epoch", sw, swID, time.Unix(-1, 0)},
		{"invalid config", webhook.Signature{Scheme: webhook.SchemeHex}, "", now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.id != "" {
				h.Set(webhook.HeaderWebhookID, tt.id)
			}
			if err := webhook.Sign(tt.sig, h, []byte(swBody), tt.now); err == nil {
				t.Fatalf("Sign succeeded and set %v", h)
			}
		})
	}
}

func TestSignatureValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sig      webhook.Signature
		wantText string // "" when the config is valid
	}{
		{"defaults", webhook.Signature{Secret: "s"}, ""},
		{"github", webhook.Signature{Secret: ghSecret, Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed}, ""},
		{"base64", webhook.Signature{Secret: osslSecret, Header: "x-signature", Scheme: webhook.SchemeBase64}, ""},
		{"secret of 256 bytes", webhook.Signature{Secret: strings.Repeat("k", 256)}, ""},
		{"standard with a 24 byte key", webhook.Signature{Secret: swSecret, Scheme: webhook.SchemeStandardWebhooks}, ""},
		{"standard with a 64 byte key", webhook.Signature{Secret: "whsec_" + strings.Repeat("AAAA", 21) + "AA==", Scheme: webhook.SchemeStandardWebhooks}, ""},
		{"standard ignores the header", webhook.Signature{Secret: swSecret, Header: "not a header", Scheme: webhook.SchemeStandardWebhooks}, ""},
		{"scheme unknown", webhook.Signature{Secret: "s", Scheme: "sha1="}, `scheme "sha1=" is unknown`},
		{"scheme in uppercase", webhook.Signature{Secret: "s", Scheme: "HEX"}, `scheme "HEX" is unknown`},
		{"secret empty", webhook.Signature{}, "secret is empty"},
		{"secret of 257 bytes", webhook.Signature{Secret: strings.Repeat("k", 257)}, "secret is 257 bytes long, at most 256"},
		{"standard secret without prefix", webhook.Signature{Secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Scheme: webhook.SchemeStandardWebhooks}, `secret for the standard-webhooks scheme must start with "whsec_"`},
		{"standard secret not base64", webhook.Signature{Secret: "whsec_not base64!", Scheme: webhook.SchemeStandardWebhooks}, `secret after "whsec_" is not standard padded base64`},
		{"standard secret unpadded", webhook.Signature{Secret: "whsec_" + strings.Repeat("A", 43), Scheme: webhook.SchemeStandardWebhooks}, `secret after "whsec_" is not standard padded base64`},
		{"standard key of 23 bytes", webhook.Signature{Secret: "whsec_" + strings.Repeat("A", 31) + "=", Scheme: webhook.SchemeStandardWebhooks}, "decodes to 23 bytes, want 24 to 64"},
		{"standard key of 65 bytes", webhook.Signature{Secret: "whsec_" + strings.Repeat("A", 87) + "=", Scheme: webhook.SchemeStandardWebhooks}, "decodes to 65 bytes, want 24 to 64"},
		{"header with a space", webhook.Signature{Secret: "s", Header: "X Signature"}, `header "X Signature" is not a valid HTTP header name`},
		{"header with a colon", webhook.Signature{Secret: "s", Header: "X-Signature:"}, `header "X-Signature:" is not a valid HTTP header name`},
		{"header not ASCII", webhook.Signature{Secret: "s", Header: "X-Signatür"}, "is not a valid HTTP header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.sig.Validate()
			if tt.wantText == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, webhook.ErrInvalidSignatureConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidSignatureConfig", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Validate = %q, want it to contain %q", err, tt.wantText)
			}
			if len(tt.sig.Secret) > 1 {
				assertNoLeak(t, err, tt.sig.Secret, strings.TrimPrefix(tt.sig.Secret, "whsec_"))
			}
			if verr := webhook.Verify(tt.sig, http.Header{}, nil, time.Time{}); !errors.Is(verr, webhook.ErrInvalidSignatureConfig) {
				t.Errorf("Verify with the config = %v, want ErrInvalidSignatureConfig", verr)
			}
		})
	}
}

func TestSignatureNormalized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   webhook.Signature
		want webhook.Signature
	}{
		{"zero", webhook.Signature{}, webhook.Signature{Header: "X-Webhook-Signature", Scheme: webhook.SchemeHex}},
		{"secret kept as given", webhook.Signature{Secret: " s "}, webhook.Signature{Secret: " s ", Header: "X-Webhook-Signature", Scheme: webhook.SchemeHex}},
		{"header canonical", webhook.Signature{Header: " x-hub-signature-256 ", Scheme: " sha256= "}, webhook.Signature{Header: "X-Hub-Signature-256", Scheme: webhook.SchemeSHA256Prefixed}},
		{"standard drops the header", webhook.Signature{Header: "X-Sig", Scheme: webhook.SchemeStandardWebhooks}, webhook.Signature{Scheme: webhook.SchemeStandardWebhooks}},
		{"unknown scheme kept", webhook.Signature{Scheme: "md5"}, webhook.Signature{Header: "X-Webhook-Signature", Scheme: "md5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.Normalized(); got != tt.want {
				t.Errorf("Normalized() = %+v, want %+v", got, tt.want)
			}
			if got := tt.in.Normalized().Normalized(); got != tt.want {
				t.Errorf("Normalized twice = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewStandardSecretSignsAndVerifies(t *testing.T) {
	t.Parallel()
	a, b := webhook.NewStandardSecret(), webhook.NewStandardSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	s := webhook.Signature{Secret: a, Scheme: webhook.SchemeStandardWebhooks}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhook.HeaderWebhookID, "msg_1")
	now := time.Unix(1_800_000_000, 0)
	if err := webhook.Sign(s, h, []byte(`{}`), now); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(s, h, []byte(`{}`), now); err != nil {
		t.Fatal(err)
	}
}
