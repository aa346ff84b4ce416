package httpapi

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// slowKeys answers FindKey only when released, counting lookups.
type slowKeys struct {
	Keys
	release chan struct{}
	finds   atomic.Int32
}

func (k *slowKeys) FindKey(context.Context, []byte) (domain.APIKey, error) {
	k.finds.Add(1)
	<-k.release
	now := time.Now()
	return domain.APIKey{ID: "key_1", OrgID: "org_1", Scopes: nil, LastUsedAt: &now}, nil
}

// A lookup that started before a revocation must not put its (stale)
// answer in the cache: the key must be looked up again afterwards.
func TestAuthenticateDoesNotCacheAcrossRevocation(t *testing.T) {
	keys := &slowKeys{release: make(chan struct{})}
	a := NewAuthenticator(keys, time.Minute, logging.Discard())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := a.Authenticate(context.Background(), "ak_live_x"); err != nil {
			t.Error(err)
		}
	}()
	for keys.finds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
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
