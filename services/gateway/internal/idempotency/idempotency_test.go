package idempotency

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	srv := testenv.StartNATS(t)
	nc, js, err := bus.Connect(context.Background(), srv.ClientURL(), "idempotency-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s := New(js, time.Hour, 1)
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClaimIsAtomicAcrossReplicas(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	// Two replicas (two stores on one bucket) race for the same key.
	other := New(s.js, time.Hour, 1)
	if err := other.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 16
	ids := make([]string, n)
	firsts := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Go(func() {
			rec, first, err := st.Claim(ctx, "whr_1", "key", Record{DeliveryID: "dlv_" + string(rune('a'+i))})
			if err != nil {
				t.Error(err)
			}
			ids[i], firsts[i] = rec.DeliveryID, first
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if firsts[i] {
			winners++
		}
		if ids[i] != ids[0] {
			t.Fatalf("claims disagree: %v", ids)
		}
	}
	if winners != 1 {
		t.Fatalf("%d claims won, want 1", winners)
	}
}

func TestClaimIsPerReceiverAndKept(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	original := Record{DeliveryID: "dlv_1", ReceivedAt: t0}
	rec, first, err := s.Claim(ctx, "whr_1", "k", original)
	if err != nil || !first || rec != original {
		t.Fatalf("first claim: %+v %v %v", rec, first, err)
	}
	rec, first, err = s.Claim(ctx, "whr_1", "k", Record{DeliveryID: "dlv_2", ReceivedAt: t0.Add(time.Hour)})
	if err != nil || first || rec.DeliveryID != "dlv_1" || !rec.ReceivedAt.Equal(t0) {
		t.Fatalf("second claim: %+v %v %v, want the original id and time", rec, first, err)
	}
	rec, first, err = s.Claim(ctx, "whr_2", "k", Record{DeliveryID: "dlv_3", ReceivedAt: t0})
	if err != nil || !first || rec.DeliveryID != "dlv_3" {
		t.Fatalf("same key, other receiver: %+v %v %v", rec, first, err)
	}
}

// A key recorded when only the delivery id was kept still answers it,
// without a time.
func TestClaimReadsKeysWithoutTime(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.kv.Create(ctx, keyName("whr_1", "k"), []byte("dlv_1")); err != nil {
		t.Fatal(err)
	}
	rec, first, err := s.Claim(ctx, "whr_1", "k", Record{DeliveryID: "dlv_2", ReceivedAt: time.Now()})
	if err != nil || first || rec.DeliveryID != "dlv_1" || !rec.ReceivedAt.IsZero() {
		t.Fatalf("claim: %+v %v %v, want dlv_1 without a time", rec, first, err)
	}
}

// The record keeps a hash of the first body, so a key sent again with
// another body can be told from a retry.
func TestClaimKeepsTheBodyHash(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	sent := BodyHash([]byte(`{"status":"down"}`))
	if _, first, err := s.Claim(ctx, "whr_1", "k", Record{DeliveryID: "dlv_1", BodySHA256: sent}); err != nil || !first {
		t.Fatalf("first claim: %v %v", first, err)
	}
	again := BodyHash([]byte(`{"status":"up"}`))
	rec, first, err := s.Claim(ctx, "whr_1", "k", Record{DeliveryID: "dlv_2", BodySHA256: again})
	if err != nil || first || rec.DeliveryID != "dlv_1" || rec.BodySHA256 != sent {
		t.Fatalf("second claim: %+v %v %v, want the first id and body hash", rec, first, err)
	}
	if !rec.SameBody(sent) || rec.SameBody(again) {
		t.Fatalf("SameBody: the first body %v, another %v; want true, false", rec.SameBody(sent), rec.SameBody(again))
	}
}

// A key recorded before bodies were hashed is read as before and taken
// to match any body: it cannot tell.
func TestClaimReadsKeysWithoutBodyHash(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.kv.Create(ctx, keyName("whr_1", "k"), []byte(`{"delivery_id":"dlv_1","received_at":"2026-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	rec, first, err := s.Claim(ctx, "whr_1", "k", Record{DeliveryID: "dlv_2", BodySHA256: BodyHash([]byte("x"))})
	if err != nil || first || rec.DeliveryID != "dlv_1" || !rec.ReceivedAt.Equal(t0) || rec.BodySHA256 != "" {
		t.Fatalf("claim: %+v %v %v, want dlv_1 at %v without a body hash", rec, first, err, t0)
	}
	if !rec.SameBody(BodyHash([]byte("x"))) {
		t.Fatal("a record without a body hash must match any body")
	}
}

func TestKeyFrom(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if key, header := KeyFrom(h); key != "" || header != "" {
		t.Fatalf("key %q from %q without headers", key, header)
	}
	h.Set("X-Request-Id", "req")
	h.Set("Idempotency-Key", " idem ")
	if key, header := KeyFrom(h); key != "idem" || header != "Idempotency-Key" {
		t.Fatalf("key %q from %q, want Idempotency-Key before X-Request-Id", key, header)
	}
	h.Set("webhook-id", "msg_1")
	if key, header := KeyFrom(h); key != "msg_1" || header != "Webhook-Id" {
		t.Fatalf("key %q from %q, want webhook-id first", key, header)
	}
}
