package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verify checks that header carries a valid signature of body as s
// requires. now is the receiver's clock, used by standard-webhooks to
// refuse timestamps more than StandardWebhooksTolerance away.
//
// Header values are trimmed of surrounding spaces, tabs, CR and LF; a
// signature header that appears more than once is malformed, except
// webhook-signature, whose lines are read as one space-separated list.
// header is looked up by canonical key, as net/http stores it. MACs are
// compared with hmac.Equal.
//
// The error wraps ErrMissingSignature, ErrMalformedSignature,
// ErrSignatureMismatch or ErrTimestampOutOfRange for a refused delivery,
// and ErrInvalidSignatureConfig when s itself is invalid.
func Verify(s Signature, header http.Header, body []byte, now time.Time) error {
	s = s.Normalized()
	key, err := s.key()
	if err != nil {
		return err
	}
	if s.Scheme == SchemeStandardWebhooks {
		return verifyStandard(key, header, body, now)
	}
	value, err := single(header, s.Header)
	if err != nil {
		return err
	}
	var (
		got []byte
		ok  bool
	)
	switch s.Scheme {
	case SchemeHex:
		got, ok = decodeHex(value)
	case SchemeSHA256Prefixed:
		var rest string
		if rest, ok = strings.CutPrefix(value, "sha256="); ok {
			got, ok = decodeHex(rest)
		}
	case SchemeBase64:
		got, ok = decodeBase64MAC(value)
	}
	if !ok {
		return fmt.Errorf("%w: %s is not %s", ErrMalformedSignature, s.Header, encodedForm[s.Scheme])
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignatureMismatch, s.Header)
	}
	return nil
}

// encodedForm describes a well-formed signature header value per scheme.
var encodedForm = map[Scheme]string{
	SchemeHex:            "64 hex digits",
	SchemeSHA256Prefixed: `"sha256=" and 64 hex digits`,
	SchemeBase64:         "44 characters of standard padded base64",
}

func verifyStandard(key []byte, header http.Header, body []byte, now time.Time) error {
	id, err := single(header, HeaderWebhookID)
	if err != nil {
		return err
	}
	ts, err := single(header, HeaderWebhookTimestamp)
	if err != nil {
		return err
	}
	list := strings.Join(header.Values(HeaderWebhookSignature), " ")
	if trimSpace(list) == "" {
		return fmt.Errorf("%w: %s header is absent or empty", ErrMissingSignature, HeaderWebhookSignature)
	}
	sent, ok := parseTimestamp(ts)
	if !ok {
		return fmt.Errorf("%w: %s is not whole seconds since the epoch", ErrMalformedSignature, HeaderWebhookTimestamp)
	}
	tolerance := int64(StandardWebhooksTolerance / time.Second)
	switch age := now.Unix() - sent; {
	case age > tolerance:
		return fmt.Errorf("%w: %s is %ds old, at most %ds is allowed", ErrTimestampOutOfRange, HeaderWebhookTimestamp, age, tolerance)
	case age < -tolerance:
		return fmt.Errorf("%w: %s is %ds in the future, at most %ds is allowed", ErrTimestampOutOfRange, HeaderWebhookTimestamp, -age, tolerance)
	}
	want := standardMAC(key, id, ts, body)

	// Every v1 entry is compared, even after a match, so the time taken
	// depends on the entries' number and form only. Other versions (v1a is
	// asymmetric) are skipped: a sender may offer several.
	var matched, sawV1, sawMalformed bool
	for _, entry := range strings.FieldsFunc(list, isSpace) {
		version, sig, found := strings.Cut(entry, ",")
		if !found {
			sawMalformed = true
			continue
		}
		if version != "v1" {
			continue
		}
		got, ok := decodeBase64MAC(sig)
		if !ok {
			sawMalformed = true
			continue
		}
		sawV1 = true
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	switch {
	case matched:
		return nil
	case sawV1:
		return fmt.Errorf("%w: no v1 entry of %s matches", ErrSignatureMismatch, HeaderWebhookSignature)
	case sawMalformed:
		return fmt.Errorf("%w: %s has no well-formed v1 entry", ErrMalformedSignature, HeaderWebhookSignature)
	default:
		return fmt.Errorf("%w: %s has no v1 entry", ErrMissingSignature, HeaderWebhookSignature)
	}
}

// StandardWebhookID returns the trimmed webhook-id header: the id a
// standard-webhooks sender keeps across retries of one message, which the
// gateway uses as the delivery's idempotency key.
func StandardWebhookID(h http.Header) string {
	return trimSpace(h.Get(HeaderWebhookID))
}

// Sign sets on header what a sender signing body as s requires would send,
// replacing earlier values. For hex, sha256= and base64 it sets s.Header
// and ignores now.
//
// For standard-webhooks the caller sets webhook-id before calling: the id
// names the message, must stay the same across retries, and is the
// receiver's idempotency key, so Sign never invents one. It must be
// printable ASCII without spaces or dots (a dot would make the signed
// content ambiguous). Sign sets webhook-timestamp to now in whole seconds
// and webhook-signature to a single v1 entry.
func Sign(s Signature, header http.Header, body []byte, now time.Time) error {
	s = s.Normalized()
	key, err := s.key()
	if err != nil {
		return err
	}
	if s.Scheme == SchemeStandardWebhooks {
		id := header.Get(HeaderWebhookID)
		if !isMessageID(id) {
			return fmt.Errorf("sign: %s header must be set to printable ASCII without spaces or dots", HeaderWebhookID)
		}
		if now.Unix() < 0 {
			return fmt.Errorf("sign: time %v is before the Unix epoch", now)
		}
		ts := strconv.FormatInt(now.Unix(), 10)
		header.Set(HeaderWebhookTimestamp, ts)
		header.Set(HeaderWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(standardMAC(key, id, ts, body)))
		return nil
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	sum := mac.Sum(nil)
	switch s.Scheme {
	case SchemeHex:
		header.Set(s.Header, hex.EncodeToString(sum))
	case SchemeSHA256Prefixed:
		header.Set(s.Header, "sha256="+hex.EncodeToString(sum))
	case SchemeBase64:
		header.Set(s.Header, base64.StdEncoding.EncodeToString(sum))
	}
	return nil
}

// standardMAC signs "{id}.{timestamp}.{body}" without copying the body.
func standardMAC(key []byte, id, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// single returns the one trimmed, non-empty value of header name.
func single(h http.Header, name string) (string, error) {
	values := h.Values(name)
	switch {
	case len(values) == 0:
		return "", fmt.Errorf("%w: %s header is absent", ErrMissingSignature, name)
	case len(values) > 1:
		return "", fmt.Errorf("%w: %s header appears %d times", ErrMalformedSignature, name, len(values))
	}
	v := trimSpace(values[0])
	if v == "" {
		return "", fmt.Errorf("%w: %s header is empty", ErrMissingSignature, name)
	}
	return v, nil
}

// decodeHex decodes a SHA-256 sized MAC in hex of either case.
func decodeHex(s string) ([]byte, bool) {
	if len(s) != hex.EncodedLen(sha256.Size) {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// decodeBase64 decodes standard padded base64 in its one canonical
// spelling. The decoder alone would also accept non-zero padding bits and
// skip embedded newlines, letting several strings stand for one value.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// decodeBase64MAC decodes a SHA-256 sized MAC in canonical base64.
func decodeBase64MAC(s string) ([]byte, bool) {
	if len(s) != base64.StdEncoding.EncodedLen(sha256.Size) {
		return nil, false
	}
	return decodeBase64(s)
}

// parseTimestamp parses decimal seconds: ASCII digits only, no sign.
func parseTimestamp(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

func isMessageID(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == '.' {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is an RFC 9110 token, as header names must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
