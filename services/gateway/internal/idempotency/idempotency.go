// Package idempotency remembers, per receiver, the idempotency keys senders
// put on deliveries (standard-webhooks' webhook-id, Idempotency-Key or
// X-Request-Id) and the delivery id, time and body hash each was first
// given, in a JetStream key-value bucket shared by every gateway replica,
// so a retried delivery is answered with its original id, published as the
// delivery it repeats, and applied once, and a key reused for another body
// is told apart from a retry.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
)

// Bucket is the key-value bucket's name.
const Bucket = "upstate_webhook_idempotency"

// DefaultTTL is how long a key is remembered: longer than any sender's
// retry schedule (standard-webhooks senders retry for about a day and a half).
const DefaultTTL = 72 * time.Hour

// Headers carrying a sender's idempotency key, in order of preference.
var Headers = []string{"Webhook-Id", "Idempotency-Key", "X-Request-Id"}

// maxKeyLen bounds a sender's key; a longer header is not an id.
const maxKeyLen = 512

// KeyFrom returns the sender's idempotency key and the header it came in,
// or "" and "" when it sent none.
func KeyFrom(h http.Header) (key, header string) {
	for _, name := range Headers {
		if v := strings.TrimSpace(h.Get(name)); v != "" && len(v) <= maxKeyLen {
			return v, name
		}
	}
	return "", ""
}

// Store records idempotency keys.
type Store struct {
	js       jetstream.JetStream
	ttl      time.Duration
	replicas int
	kv       jetstream.KeyValue
}

// New returns a store in js's bucket; Open creates the bucket.
func New(js jetstream.JetStream, ttl time.Duration, replicas int) *Store {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if replicas < 1 {
		replicas = 1
	}
	return &Store{js: js, ttl: ttl, replicas: replicas}
}

// Open creates the bucket, or updates it to this definition.
func (s *Store) Open(ctx context.Context) error {
	// Gateway replicas starting together create the bucket at once.
	var kv jetstream.KeyValue
	err := bus.RetryUnavailable(ctx, func(ctx context.Context) error {
		var err error
		kv, err = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      Bucket,
			Description: "Webhook idempotency keys per receiver and the delivery id first given to each.",
			History:     1,
			TTL:         s.ttl,
			Storage:     jetstream.FileStorage,
			Replicas:    s.replicas,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("create key-value bucket %s: %w", Bucket, err)
	}
	s.kv = kv
	return nil
}

// Record is what a key was first given.
type Record struct {
	// DeliveryID is the delivery id, "dlv_…".
	DeliveryID string `json:"delivery_id"`
	// ReceivedAt is when the first attempt was received; zero for a key
	// recorded before the time was kept with it.
	ReceivedAt time.Time `json:"received_at"`
	// BodySHA256 is BodyHash of the first attempt's raw body; empty for a
	// key recorded before the body was kept with it.
	BodySHA256 string `json:"body_sha256,omitempty"`
}

// BodyHash is the hex SHA-256 of a delivery's raw body, as Record keeps it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SameBody reports whether bodyHash (a BodyHash) is the hash of the body
// the key was first sent with: a retry, byte for byte. A key recorded
// without a hash matches any body, as every key did before.
func (r Record) SameBody(bodyHash string) bool {
	return r.BodySHA256 == "" || r.BodySHA256 == bodyHash
}

// Claim records that receiverID's key was given rec. If the key was
// already recorded it returns the record first given and first=false.
// Two replicas claiming one key at once agree: creating a key is atomic.
// A recorded key is never released: its delivery may have been stored
// even when the publish seemed to fail, so a retry must keep the same id.
func (s *Store) Claim(ctx context.Context, receiverID, key string, rec Record) (got Record, first bool, err error) {
	if s.kv == nil {
		return Record{}, false, errors.New("idempotency store not opened")
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return Record{}, false, fmt.Errorf("encode idempotency record: %w", err)
	}
	name := keyName(receiverID, key)
	// Twice at most: a key that expires between our create and our get is
	// created afresh.
	for range 2 {
		_, err := s.kv.Create(ctx, name, value)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Record{}, false, fmt.Errorf("record idempotency key: %w", err)
		}
		e, err := s.kv.Get(ctx, name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return Record{}, false, fmt.Errorf("read idempotency key: %w", err)
		}
		got, err := decodeRecord(e.Value())
		return got, false, err
	}
	return Record{}, false, errors.New("record idempotency key: key keeps vanishing")
}

// decodeRecord reads a key's value: a JSON Record, or the bare delivery id
// that keys recorded before the time was kept hold until they expire.
func decodeRecord(value []byte) (Record, error) {
	if !strings.HasPrefix(string(value), "{") {
		return Record{DeliveryID: string(value)}, nil
	}
	var rec Record
	if err := json.Unmarshal(value, &rec); err != nil {
		return Record{}, fmt.Errorf("decode idempotency record: %w", err)
	}
	return rec, nil
}

// keyName hashes a receiver id and a sender's key into a valid, fixed-size
// key name: senders' keys may hold any character.
func keyName(receiverID, key string) string {
	h := sha256.New()
	h.Write([]byte(receiverID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}
