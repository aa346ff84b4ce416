// Package session is the operator console's sign-in session: a cookie
// that is an authenticated encryption (AES-256-GCM) of the API key's id,
// its organisation, an expiry and a random session id. It holds no key
// secret, so a stolen or leaked cookie never reveals a key; any edge
// replica that shares the sealing secret opens it, so no replica needs
// sticky sessions, and the key is looked up on every request, so revoking
// it ends its sessions at once. It also derives the session's CSRF token.
// It does no I/O.
package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SecretLen is the length of the sealing secret, in bytes.
const SecretLen = 32

// ErrInvalid means a cookie that was not sealed with this secret, was
// changed, or has expired: the visitor signs in again.
var ErrInvalid = errors.New("invalid or expired session")

// Session is what a console cookie carries. A session without KeyID is
// anonymous: a visitor on the sign-in form, who still gets a CSRF token.
type Session struct {
	// ID is random, per sign-in; the CSRF token is derived from it.
	ID      string    `json:"i"`
	OrgID   string    `json:"o,omitempty"`
	KeyID   string    `json:"k,omitempty"`
	Expires time.Time `json:"e"`
}

// SignedIn reports whether the session names a key.
func (s Session) SignedIn() bool { return s.KeyID != "" }

// New returns a session with a fresh random id.
func New(orgID, keyID string, expires time.Time) Session {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails.
	return Session{ID: base64.RawURLEncoding.EncodeToString(b[:]), OrgID: orgID, KeyID: keyID, Expires: expires.UTC()}
}

// Codec seals and opens sessions and derives their CSRF tokens, with keys
// derived from one secret.
type Codec struct {
	aead cipher.AEAD
	csrf []byte
}

// NewCodec returns a codec over a secret of SecretLen bytes.
func NewCodec(secret []byte) (*Codec, error) {
	if len(secret) != SecretLen {
		return nil, fmt.Errorf("session secret is %d bytes, want %d", len(secret), SecretLen)
	}
	block, err := aes.NewCipher(derive(secret, "upstate console session encryption"))
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	return &Codec{aead: aead, csrf: derive(secret, "upstate console csrf")}, nil
}

// derive is a separate key for each use of the secret (HMAC as a PRF).
func derive(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(use))
	return m.Sum(nil)
}

// Seal returns the cookie value of s.
func (c *Codec) Seal(s Session) string {
	plain, _ := json.Marshal(s) // a struct of strings and a time always encodes
	nonce := make([]byte, c.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, nil))
}

// Open returns the session of a cookie value, if this codec sealed it and
// it has not expired at now.
func (c *Codec) Open(value string, now time.Time) (Session, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return Session{}, ErrInvalid
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return Session{}, ErrInvalid
	}
	var s Session
	if err := json.Unmarshal(plain, &s); err != nil || s.ID == "" || !now.Before(s.Expires) {
		return Session{}, ErrInvalid
	}
	return s, nil
}

// CSRF returns the session's CSRF token, which every console form carries:
// a page of another site cannot read it, so it cannot forge a form.
func (c *Codec) CSRF(s Session) string {
	m := hmac.New(sha256.New, c.csrf)
	m.Write([]byte(s.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether token is the session's CSRF token.
func (c *Codec) CheckCSRF(s Session, token string) bool {
	return hmac.Equal([]byte(token), []byte(c.CSRF(s)))
}
