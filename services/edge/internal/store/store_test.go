package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
	"github.com/upstatehq/upstate/services/edge/internal/store"
	"github.com/upstatehq/upstate/services/edge/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	return store.New(pool)
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// everyScope lists keys whatever their scopes.
var everyScope = auth.Grantable([]auth.Scope{auth.ScopeWrite})

// newKey stores a key of the organisation and returns it with its secret.
func newKey(t *testing.T, st *store.Store, orgID, name string) (domain.APIKey, auth.Key) {
	t.Helper()
	secret := auth.NewKey()
	k := domain.APIKey{ID: ids.New(ids.APIKey), OrgID: orgID, Name: name, Prefix: secret.Prefix, Scopes: []auth.Scope{"services"}, CreatedAt: t0}
	if err := st.CreateKey(context.Background(), k, secret.Hash); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// The store answers with domain records and domain.ErrNotFound, and keeps
// organisations apart.
func TestKeys(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	orgA, err := st.CreateOrg(ctx, "A", t0)
	if err != nil {
		t.Fatal(err)
	}
	orgB, err := st.CreateOrg(ctx, "B", t0)
	if err != nil {
		t.Fatal(err)
	}
	ci, ciSecret := newKey(t, st, orgA, "CI")
	deploy, _ := newKey(t, st, orgA, "deploy")
	theirs, _ := newKey(t, st, orgB, "theirs")

	found, err := st.FindKey(ctx, ciSecret.Hash)
	if err != nil || found.ID != ci.ID || found.OrgID != orgA || !slices.Equal(found.Scopes, ci.Scopes) || found.LastUsedAt != nil {
		t.Fatalf("FindKey = %+v, %v", found, err)
	}
	if _, err := st.FindKey(ctx, auth.Hash("ak_live_unknown")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("FindKey of an unknown secret = %v, want ErrNotFound", err)
	}
	if err := st.TouchKey(ctx, ci.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if found, err = st.FindKey(ctx, ciSecret.Hash); err != nil || found.LastUsedAt == nil || !found.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("last used after TouchKey = %v, %v", found.LastUsedAt, err)
	}

	list, err := st.ListKeys(ctx, orgA, everyScope, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range list {
		names = append(names, k.Name)
	}
	want := []string{"CI", "deploy"}
	if ci.ID > deploy.ID {
		want = []string{"deploy", "CI"}
	}
	if !slices.Equal(names, want) {
		t.Errorf("org A lists %v, want %v", names, want)
	}

	if got, err := st.GetKey(ctx, orgA, deploy.ID); err != nil || got.ID != deploy.ID || got.Name != "deploy" || !slices.Equal(got.Scopes, deploy.Scopes) {
		t.Errorf("GetKey = %+v, %v", got, err)
	}
	if _, err := st.GetKey(ctx, orgA, theirs.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetKey of another organisation's key = %v, want ErrNotFound", err)
	}
	// Only keys whose scopes are all within the given ones are listed.
	if list, err := st.ListKeys(ctx, orgA, []auth.Scope{"api_keys", "services:read"}, "", 10); err != nil || len(list) != 0 {
		t.Errorf("org A lists %v, %v within api_keys and services:read, want no services key", list, err)
	}
	if list, err := st.ListKeys(ctx, orgA, []auth.Scope{"services", "services:read"}, "", 10); err != nil || len(list) != 2 {
		t.Errorf("org A lists %v, %v within services and services:read, want both keys", list, err)
	}

	if err := st.RevokeKey(ctx, orgA, theirs.ID, t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revoking another organisation's key = %v, want ErrNotFound", err)
	}
	if err := st.RevokeKey(ctx, orgA, ci.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeKey(ctx, orgA, ci.ID, t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revoking a revoked key = %v, want ErrNotFound", err)
	}
	if _, err := st.FindKey(ctx, ciSecret.Hash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("FindKey of a revoked key = %v, want ErrNotFound", err)
	}
	if list, err = st.ListKeys(ctx, orgA, everyScope, "", 10); err != nil || len(list) != 1 || list[0].ID != deploy.ID {
		t.Errorf("org A after revoking CI lists %v, %v", list, err)
	}
	if _, err := st.GetKey(ctx, orgA, ci.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetKey of a revoked key = %v, want ErrNotFound", err)
	}
}

// A key's expiry is stored and read back; FindKey still finds an expired
// key, whose expiry the caller judges on its clock.
func TestKeyExpiryIsStored(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	org, err := st.CreateOrg(ctx, "A", t0)
	if err != nil {
		t.Fatal(err)
	}
	expires := t0.Add(time.Hour)
	secret := auth.NewKey()
	k := domain.APIKey{ID: ids.New(ids.APIKey), OrgID: org, Name: "temporary", Prefix: secret.Prefix,
		Scopes: []auth.Scope{"read"}, CreatedAt: t0, ExpiresAt: &expires}
	if err := st.CreateKey(ctx, k, secret.Hash); err != nil {
		t.Fatal(err)
	}
	lasting, _ := newKey(t, st, org, "lasting")
	found, err := st.FindKey(ctx, secret.Hash)
	if err != nil || found.ExpiresAt == nil || !found.ExpiresAt.Equal(expires) {
		t.Errorf("FindKey = %+v, %v; want expires_at %v", found, err, expires)
	}
	list, err := st.ListKeys(ctx, org, everyScope, "", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListKeys = %v, %v", list, err)
	}
	for _, got := range list {
		switch {
		case got.ID == k.ID && (got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires)):
			t.Errorf("listed %s expires at %v, want %v", got.Name, got.ExpiresAt, expires)
		case got.ID == lasting.ID && got.ExpiresAt != nil:
			t.Errorf("listed %s expires at %v, want never", got.Name, got.ExpiresAt)
		}
	}
}

// Bootstrap creates the key and its organisation once.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	key := auth.KeyFromSecret("ak_live_bootstrap_0123456789abcdef0123456789")
	org, err := st.Bootstrap(ctx, key, t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.Bootstrap(ctx, key, t0)
	if err != nil || again != org {
		t.Fatalf("second Bootstrap = %q, %v; want %q", again, err, org)
	}
	k, err := st.FindKey(ctx, key.Hash)
	if err != nil || k.OrgID != org || !slices.Equal(k.Scopes, []auth.Scope{auth.ScopeWrite}) {
		t.Fatalf("bootstrap key = %+v, %v", k, err)
	}
}

// The first secret stored is the one every replica gets, whatever it
// offers afterwards.
func TestConsoleSecret(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	first, err := st.ConsoleSecret(ctx, []byte("first-secret"), t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.ConsoleSecret(ctx, []byte("second-secret"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != "first-secret" || string(again) != "first-secret" {
		t.Errorf("secrets %q then %q, want the first both times", first, again)
	}
}
