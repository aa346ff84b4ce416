package domain

import (
	"net/http"
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// signature is a receiver's normalized signature requirement.
type signature struct {
	spec webhook.Signature
}

// compileSignature returns nil for a receiver that requires no signature.
// A requirement with an empty secret is kept, and fails closed: Verify
// refuses every delivery as misconfigured rather than accept them unsigned.
func compileSignature(s *webhook.Signature) *signature {
	if s == nil {
		return nil
	}
	return &signature{spec: s.Normalized()}
}

// Authenticate checks the delivery's signature, if the receiver requires
// one. The error says why it was refused, never with the secret or a MAC,
// so it can be logged and shown to the sender.
func (r *Receiver) Authenticate(header http.Header, body []byte, now time.Time) error {
	if r.signature == nil {
		return nil
	}
	return webhook.Verify(r.signature.spec, header, body, now)
}
