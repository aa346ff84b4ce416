package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// KeyPrefix starts every API key secret.
const KeyPrefix = "ak_live_"

// displayPrefixLen is how much of a key is kept in clear to recognise it.
const displayPrefixLen = len(KeyPrefix) + 4

// Key is a newly generated API key.
type Key struct {
	// Secret is the key itself, shown once and never stored.
	Secret string
	// Prefix is the start of the secret, kept to recognise the key in lists.
	Prefix string
	// Hash is what is stored and looked up.
	Hash []byte
}

// NewKey generates a key with 160 random bits.
func NewKey() Key {
	var b [20]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails.
	return KeyFromSecret(KeyPrefix + hex.EncodeToString(b[:]))
}

// KeyFromSecret derives the stored form of an existing secret.
func KeyFromSecret(secret string) Key {
	return Key{Secret: secret, Prefix: secret[:min(len(secret), displayPrefixLen)], Hash: Hash(secret)}
}

// Hash is the SHA-256 of a secret. A fast hash suffices: keys carry 160
// random bits, so there is nothing to brute-force.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ValidateSecret checks the form of a key given by an operator
// (UPSTATE_BOOTSTRAP_API_KEY).
func ValidateSecret(secret string) error {
	rest, ok := strings.CutPrefix(secret, KeyPrefix)
	if !ok || rest == "" {
		return errors.New("an API key must look like ak_live_<secret>")
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errors.New("an API key may only hold letters, digits, '_' and '-' after ak_live_")
		}
	}
	return nil
}

// Principal is the caller a valid key identifies.
type Principal struct {
	OrgID string
	KeyID string
	// KeyName is the key's name, as the audit log names who acted.
	KeyName string
	Scopes  []Scope
}
