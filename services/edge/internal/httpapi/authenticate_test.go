package httpapi

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// slowKeys answers FindKey only when released, counting lookups and
// signalling on entered when one starts. The key it finds was used just
// now on clock, so no lookup records a use.
type slowKeys struct {
	Keys
	clock   clockwork.Clock
	entered chan struct{}
	release chan struct{}
	finds   atomic.Int32
}

func newSlowKeys(clock clockwork.Clock) *slowKeys {
	return &slowKeys{clock: clock, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (k *slowKeys) FindKey(context.Context, []byte) (domain.APIKey, error) {
	k.finds.Add(1)
	select {
	case k.entered <- struct{}{}:
	default:
	}
	<-k.release
	now := k.clock.Now()
	return domain.APIKey{ID: "key_1", OrgID: "org_1", Scopes: nil, LastUsedAt: &now}, nil
}

// A lookup that started before a revocation must not put its (stale)
// answer in the cache: the key must be looked up again afterwards.
func TestAuthenticateDoesNotCacheAcrossRevocation(t *testing.T) {
	clock := clockwork.NewFakeClock()
	keys := newSlowKeys(clock)
	a := NewAuthenticator(keys, time.Minute, clock, logging.Discard())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := a.Authenticate(context.Background(), "ak_live_x"); err != nil {
			t.Error(err)
		}
	}()
	<-keys.entered
	a.Forget("key_1") // revoked while the lookup is in flight
	close(keys.release)
	<-done
	if _, err := a.Authenticate(context.Background(), "ak_live_x"); err != nil {
		t.Fatal(err)
	}
	if n := keys.finds.Load(); n != 2 {
		t.Fatalf("lookups = %d, want 2 (the in-flight answer must not be cached)", n)
	}
	// Without a revocation in between, the answer is cached.
	if _, err := a.Authenticate(context.Background(), "ak_live_x"); err != nil {
		t.Fatal(err)
	}
	if n := keys.finds.Load(); n != 2 {
		t.Fatalf("lookups = %d, want 2 (cached)", n)
	}
}

// A verified key is trusted for the cache TTL on the authenticator's
// clock, and looked up again from the moment it expires.
func TestAuthenticateCachesForTTL(t *testing.T) {
	clock := clockwork.NewFakeClock()
	keys := newSlowKeys(clock)
	close(keys.release)
	a := NewAuthenticator(keys, time.Minute, clock, logging.Discard())
	authenticate := func(wantFinds int32) {
		t.Helper()
		if _, err := a.Authenticate(context.Background(), "ak_live_x"); err != nil {
			t.Fatal(err)
		}
		if n := keys.finds.Load(); n != wantFinds {
			t.Fatalf("lookups = %d, want %d", n, wantFinds)
		}
	}
	authenticate(1)
	clock.Advance(time.Minute - time.Nanosecond)
	authenticate(1)
	clock.Advance(time.Nanosecond)
	authenticate(2)
	authenticate(2)
}
