package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// The fuzzers check Verify against an oracle written from the documented
// rules, not from the implementation: a delivery passes if and only if the
// header, trimmed of spaces and tabs, spells the MAC of the body. In forge
// mode the header is built from the real MAC, then case-flipped, edited at
// one byte and padded as the fuzzer chooses, so accepted inputs are
// explored too; otherwise the raw header is used as given.

const fuzzSecret = "fuzz-secret"

func fuzzTrim(s string) string { return strings.Trim(s, " \t\r\n") }

// asciiLower lowers A-Z only, so the oracle does not depend on Unicode
// case folding.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// forge applies the fuzzer's edits to a correct signature value.
func forge(value string, upper uint64, pos uint8, repl byte, pad string) string {
	b := []byte(value)
	for i := range b {
		if upper>>(i%64)&1 == 1 && 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	if repl != 0 && int(pos) < len(b) {
		b[pos] = repl
	}
	return pad + string(b) + pad
}

func checkVerdict(t *testing.T, err error, want bool) {
	t.Helper()
	if want && err != nil {
		t.Fatalf("correct signature refused: %v", err)
	}
	if !want && err == nil {
		t.Fatal("signature that differs from the MAC accepted")
	}
	if err != nil && !isRefusal(err) {
		t.Fatalf("error %v wraps no refusal reason", err)
	}
}

// FuzzVerifyHex covers the hex and sha256= schemes: accepted iff the
// trimmed header is the prefix and the MAC's 64 hex digits in any case.
func FuzzVerifyHex(f *testing.F) {
	f.Add(false, []byte(osslBody), osslHex, false, uint64(0), uint8(0), byte(0), "")
	f.Add(true, []byte(ghBody), ghExpected, false, uint64(0), uint8(0), byte(0), " ")
	f.Add(false, []byte(osslBody), strings.ToUpper(osslHex), false, uint64(0), uint8(0), byte(0), "")
	f.Add(false, []byte("{}"), "", true, uint64(0xf0f0), uint8(3), byte('A'), "\t")
	f.Add(true, []byte(""), "sha256=", true, ^uint64(0), uint8(0), byte('S'), "")
	f.Add(true, []byte("x"), "", true, uint64(1), uint8(70), byte('\n'), " \t")
	f.Fuzz(func(t *testing.T, prefixed bool, body []byte, raw string, forged bool, upper uint64, pos uint8, repl byte, pad string) {
		s := webhook.Signature{Secret: fuzzSecret, Scheme: webhook.SchemeHex}
		prefix := ""
		if prefixed {
			s.Scheme, prefix = webhook.SchemeSHA256Prefixed, "sha256="
		}
		m := hmac.New(sha256.New, []byte(fuzzSecret))
		m.Write(body)
		mac := hex.EncodeToString(m.Sum(nil))
		value := raw
		if forged {
			value = forge(prefix+mac, upper, pos, repl, pad)
		}
		h := http.Header{http.CanonicalHeaderKey(webhook.DefaultSignatureHeader): {value}}
		err := webhook.Verify(s, h, body, time.Time{})

		v := fuzzTrim(value)
		rest, hasPrefix := strings.CutPrefix(v, prefix)
		checkVerdict(t, err, v != "" && hasPrefix && asciiLower(rest) == mac)
	})
}

// FuzzVerifyBase64: accepted iff the trimmed header is exactly the MAC in
// standard padded base64.
func FuzzVerifyBase64(f *testing.F) {
	f.Add([]byte(osslBody), osslBase64, false, uint64(0), uint8(0), byte(0), "")
	f.Add([]byte(osslBody), strings.TrimSuffix(osslBase64, "="), false, uint64(0), uint8(0), byte(0), "")
	f.Add([]byte("{}"), "", true, uint64(0), uint8(42), byte('F'), " ")
	f.Add([]byte("{}"), "", true, uint64(0), uint8(43), byte('A'), "")
	f.Add([]byte("a"), "", true, uint64(1<<5), uint8(10), byte('\n'), "\t")
	f.Fuzz(func(t *testing.T, body []byte, raw string, forged bool, upper uint64, pos uint8, repl byte, pad string) {
		s := webhook.Signature{Secret: fuzzSecret, Scheme: webhook.SchemeBase64}
		m := hmac.New(sha256.New, []byte(fuzzSecret))
		m.Write(body)
		mac := base64.StdEncoding.EncodeToString(m.Sum(nil))
		value := raw
		if forged {
			value = forge(mac, upper, pos, repl, pad)
		}
		h := http.Header{http.CanonicalHeaderKey(webhook.DefaultSignatureHeader): {value}}
		err := webhook.Verify(s, h, body, time.Time{})
		checkVerdict(t, err, fuzzTrim(value) == mac)
	})
}

// FuzzVerifyStandardWebhooks: accepted iff the trimmed id is not empty,
// the trimmed timestamp is decimal digits within five minutes of now, and
// one whitespace-separated entry of webhook-signature is exactly "v1,"
// and the base64 MAC of "{id}.{timestamp}.{body}".
func FuzzVerifyStandardWebhooks(f *testing.F) {
	f.Add([]byte(swBody), swID, "1614265330", swExpected, false, int16(0), "", "", uint8(0), byte(0))
	f.Add([]byte(swBody), " "+swID, "", "", true, int16(300), "v1a,aGVsbG8=", "v2,x", uint8(0), byte(0))
	f.Add([]byte(swBody), swID, "", "", true, int16(-301), "", "", uint8(0), byte(0))
	f.Add([]byte("{}"), "msg_1", "", "", true, int16(12), "v1,AAAA", "", uint8(3), byte('/'))
	f.Add([]byte("{}"), "", "", "", true, int16(0), "", "", uint8(0), byte(0))
	f.Add([]byte("{}"), "a.b", "+1614265330", "v1, v1,=", false, int16(0), "", "", uint8(0), byte(0))
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sigs string, forged bool, offset int16, before, after string, pos uint8, repl byte) {
		secret := swSecret
		s := webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Unix(swTimestamp, 0)
		mac := func(id, ts string) string {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(id + "." + ts + "."))
			m.Write(body)
			return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
		if forged {
			ts = strconv.FormatInt(now.Unix()+int64(offset), 10)
			sigs = before + " " + forge(mac(fuzzTrim(id), ts), 0, pos, repl, "") + " " + after
		}
		h := http.Header{}
		h.Set(webhook.HeaderWebhookID, id)
		h.Set(webhook.HeaderWebhookTimestamp, ts)
		h.Set(webhook.HeaderWebhookSignature, sigs)
		err = webhook.Verify(s, h, body, now)

		tid, tts := fuzzTrim(id), fuzzTrim(ts)
		sent, perr := strconv.ParseUint(tts, 10, 63)
		inRange := perr == nil && int64(sent) >= now.Unix()-300 && int64(sent) <= now.Unix()+300
		entries := strings.FieldsFunc(sigs, func(r rune) bool { return strings.ContainsRune(" \t\r\n", r) })
		checkVerdict(t, err, tid != "" && inRange && slices.Contains(entries, mac(tid, tts)))
		if err == nil && webhook.StandardWebhookID(h) != tid {
			t.Fatalf("StandardWebhookID = %q, want %q", webhook.StandardWebhookID(h), tid)
		}
	})
}
