package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Scheme names how a delivery carries its HMAC-SHA256 signature.
//
// SchemeHex, SchemeSHA256Prefixed and SchemeBase64 sign the body alone,
// so a captured delivery verifies again whenever it is replayed; only
// SchemeStandardWebhooks signs a timestamp too, and Verify refuses it
// outside StandardWebhooksTolerance. A timestamp header added to the
// other schemes would not help: nothing signs it, so whoever replays a
// delivery can set it to now.
type Scheme string

// The signature schemes a receiver can require.
const (
	// SchemeHex, the default, is the lowercase hex HMAC-SHA256 of the body
	// in the signature header; uppercase hex is accepted too.
	SchemeHex Scheme = "hex"
	// SchemeSHA256Prefixed is GitHub's X-Hub-Signature-256 format:
	// "sha256=" followed by the hex HMAC-SHA256 of the body.
	SchemeSHA256Prefixed Scheme = "sha256="
	// SchemeBase64 is the standard, padded base64 HMAC-SHA256 of the body.
	SchemeBase64 Scheme = "base64"
	// SchemeStandardWebhooks is the symmetric (v1) signature of
	// https://www.standardwebhooks.com, carried in the webhook-id,
	// webhook-timestamp and webhook-signature headers.
	SchemeStandardWebhooks Scheme = "standard-webhooks"
)

// Header names and limits used by the signature schemes.
const (
	// DefaultSignatureHeader carries the signature when Header is empty.
	DefaultSignatureHeader = "X-Webhook-Signature"
	// MaxSecretBytes bounds Secret as written, prefix included.
	MaxSecretBytes = 256

	// The headers of the standard-webhooks scheme.
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"

	// StandardWebhooksTolerance is how far webhook-timestamp may be from
	// the receiver's clock, either way, in whole seconds.
	StandardWebhooksTolerance = 5 * time.Minute

	standardSecretPrefix = "whsec_"
	minStandardKeyBytes  = 24
	maxStandardKeyBytes  = 64
)

// Errors wrapped by Verify, so the gateway can log why a delivery was
// refused, and by Validate. No message contains the secret or a MAC.
var (
	ErrMissingSignature       = errors.New("missing signature")
	ErrMalformedSignature     = errors.New("malformed signature")
	ErrSignatureMismatch      = errors.New("signature mismatch")
	ErrTimestampOutOfRange    = errors.New("timestamp out of range")
	ErrInvalidSignatureConfig = errors.New("invalid signature config")
)

// Signature is a receiver's requirement that deliveries carry an
// HMAC-SHA256 signature of the raw request body.
type Signature struct {
	// Secret is the HMAC key as text; for standard-webhooks it is
	// "whsec_" followed by the base64 of the key.
	Secret string
	// Header carries the signature; DefaultSignatureHeader when empty.
	// The standard-webhooks scheme has fixed headers and ignores it.
	Header string
	// Scheme is how the signature is encoded; SchemeHex when empty.
	Scheme Scheme
}

// Normalized returns s with the scheme and header trimmed and defaults
// filled in. The header name is put in canonical form; for
// standard-webhooks, which does not use it, it is cleared, so a normalized
// configuration only names what is used. The secret is kept as given.
func (s Signature) Normalized() Signature {
	s.Scheme = Scheme(strings.TrimSpace(string(s.Scheme)))
	if s.Scheme == "" {
		s.Scheme = SchemeHex
	}
	if s.Scheme == SchemeStandardWebhooks {
		s.Header = ""
		return s
	}
	s.Header = strings.TrimSpace(s.Header)
	if s.Header == "" {
		s.Header = DefaultSignatureHeader
	}
	s.Header = http.CanonicalHeaderKey(s.Header)
	return s
}

// Validate checks the normalized s before it is saved: a known scheme; a
// secret of 1 to MaxSecretBytes bytes, which for standard-webhooks is
// "whsec_" and standard base64 of a 24 to 64 byte key; and, for the
// schemes that use it, a header name that is a valid HTTP token. Errors
// wrap ErrInvalidSignatureConfig and name the field.
func (s Signature) Validate() error {
	_, err := s.Normalized().key()
	return err
}

// key checks a normalized s as Validate describes and returns the HMAC key.
func (s Signature) key() ([]byte, error) {
	switch s.Scheme {
	case SchemeHex, SchemeSHA256Prefixed, SchemeBase64, SchemeStandardWebhooks:
	default:
		return nil, configError("scheme %q is unknown; valid schemes are hex, sha256=, base64 and standard-webhooks", s.Scheme)
	}
	switch {
	case s.Secret == "":
		return nil, configError("secret is empty")
	case len(s.Secret) > MaxSecretBytes:
		return nil, configError("secret is %d bytes long, at most %d are allowed", len(s.Secret), MaxSecretBytes)
	case s.Scheme != SchemeStandardWebhooks && !isToken(s.Header):
		return nil, configError("header %q is not a valid HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)", s.Header)
	case s.Scheme != SchemeStandardWebhooks:
		return []byte(s.Secret), nil
	}
	enc, ok := strings.CutPrefix(s.Secret, standardSecretPrefix)
	if !ok {
		return nil, configError("secret for the standard-webhooks scheme must start with %q", standardSecretPrefix)
	}
	key, ok := decodeBase64(enc)
	if !ok {
		return nil, configError("secret after %q is not standard padded base64", standardSecretPrefix)
	}
	if len(key) < minStandardKeyBytes || len(key) > maxStandardKeyBytes {
		return nil, configError("secret after %q decodes to %d bytes, want %d to %d", standardSecretPrefix, len(key), minStandardKeyBytes, maxStandardKeyBytes)
	}
	return key, nil
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSignatureConfig}, args...)...)
}

// NewStandardSecret returns a new secret for the standard-webhooks scheme:
// "whsec_" and the base64 of 32 random bytes.
func NewStandardSecret() string {
	return standardSecretPrefix + base64.StdEncoding.EncodeToString(randomKey())
}

func randomKey() []byte {
	b := make([]byte, 32)
	// crypto/rand.Read never fails (it crashes the program instead).
	_, _ = rand.Read(b)
	return b
}
