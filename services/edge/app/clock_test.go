package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/edge/app"
	"github.com/upstatehq/upstate/services/edge/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is where the tests' clocks start: far from the wall clock, so a
// timestamp taken from the wall clock cannot pass for the clock's.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.UTC)

// newPool returns a pool on a new database holding the edge's schema.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	return pool
}

// newJetStream connects to a new JetStream server holding upstate's
// streams, where the edge publishes its audit events.
func newJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, js, err := bus.Connect(context.Background(), testenv.StartNATS(t).ClientURL(), "edge-test", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(context.Background(), js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return js
}

// replica is one edge over a shared database, serving its REST API.
type replica struct {
	t   *testing.T
	app *app.App
	e   http.Handler
}

func newReplica(t *testing.T, cfg app.Config, pool *pgxpool.Pool, clock clockwork.Clock) *replica {
	t.Helper()
	logger := logging.Discard()
	a, err := app.New(cfg, app.Deps{Pool: pool, JS: newJetStream(t), Logger: logger, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	a.RegisterHTTP(e)
	return &replica{t: t, app: a, e: e}
}

// do sends a request with the API key secret and returns the status code
// and the decoded body, if any.
func (r *replica) do(method, path, secret, body string) (int, map[string]any) {
	r.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	r.e.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			r.t.Fatalf("%s %s: decode %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

// timestamp reads one timestamp column of a row.
func timestamp(t *testing.T, pool *pgxpool.Pool, query string, args ...any) time.Time {
	t.Helper()
	var at *time.Time
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if at == nil {
		t.Fatalf("%s: NULL", query)
	}
	return at.UTC()
}

// Every timestamp the edge writes is its clock's: the bootstrap key and
// its organisation, an organisation created with its first key, a key
// created through the API, and a revocation.
func TestTimestampsComeFromTheClock(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	clock := clockwork.NewFakeClockAt(t0)
	want := pgdb.Now(clock)
	bootstrap := "ak_live_" + strings.Repeat("b", 40)
	edge := newReplica(t, app.Config{BootstrapAPIKey: config.Secret(bootstrap)}, pool, clock)

	if at := timestamp(t, pool, `SELECT created_at FROM edge.orgs WHERE bootstrap`); !at.Equal(want) {
		t.Errorf("bootstrap organisation created at %v, want %v", at, want)
	}
	if at := timestamp(t, pool, `SELECT created_at FROM edge.api_keys WHERE name = 'bootstrap'`); !at.Equal(want) {
		t.Errorf("bootstrap key created at %v, want %v", at, want)
	}

	clock.Advance(time.Hour)
	want = pgdb.Now(clock)
	orgID, secret, err := edge.app.CreateOrg(context.Background(), "Acme", []string{"api_keys"})
	if err != nil {
		t.Fatal(err)
	}
	if at := timestamp(t, pool, `SELECT created_at FROM edge.orgs WHERE id = $1`, orgID); !at.Equal(want) {
		t.Errorf("organisation created at %v, want %v", at, want)
	}
	if at := timestamp(t, pool, `SELECT created_at FROM edge.api_keys WHERE org_id = $1`, orgID); !at.Equal(want) {
		t.Errorf("first key created at %v, want %v", at, want)
	}

	clock.Advance(time.Hour)
	want = pgdb.Now(clock)
	code, created := edge.do(http.MethodPost, "/api/v1/api-keys", secret, `{"name":"ci","scopes":["api_keys:read"]}`)
	if code != http.StatusCreated {
		t.Fatalf("create key: %d %v", code, created)
	}
	id, _ := created["id"].(string)
	if got, _ := created["created_at"].(string); got != want.Format(time.RFC3339Nano) {
		t.Errorf("created_at %q in the response, want %q", got, want.Format(time.RFC3339Nano))
	}
	if at := timestamp(t, pool, `SELECT created_at FROM edge.api_keys WHERE id = $1`, id); !at.Equal(want) {
		t.Errorf("key created at %v, want %v", at, want)
	}
	if at := timestamp(t, pool, `SELECT last_used_at FROM edge.api_keys WHERE org_id = $1 AND name = 'initial'`, orgID); !at.Equal(want) {
		t.Errorf("key last used at %v, want %v", at, want)
	}

	clock.Advance(time.Hour)
	want = pgdb.Now(clock)
	if code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+id, secret, ""); code != http.StatusNoContent {
		t.Fatalf("revoke key: %d %v", code, body)
	}
	if at := timestamp(t, pool, `SELECT revoked_at FROM edge.api_keys WHERE id = $1`, id); !at.Equal(want) {
		t.Errorf("key revoked at %v, want %v", at, want)
	}
}

// A key revoked on one replica stops working there at once, and on
// another replica, which cached it, exactly when its cache entry expires
// on the clock.
func TestRevokedKeyWorksOnOtherReplicasUntilCacheTTL(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	clock := clockwork.NewFakeClockAt(t0)
	const ttl = 10 * time.Second
	cfg := app.Config{AuthCacheTTL: ttl}
	a, b := newReplica(t, cfg, pool, clock), newReplica(t, cfg, pool, clock)
	_, admin, err := a.app.CreateOrg(context.Background(), "Acme", []string{"api_keys"})
	if err != nil {
		t.Fatal(err)
	}
	code, created := a.do(http.MethodPost, "/api/v1/api-keys", admin, `{"name":"ci","scopes":["api_keys:read"]}`)
	if code != http.StatusCreated {
		t.Fatalf("create key: %d %v", code, created)
	}
	id, _ := created["id"].(string)
	victim, _ := created["key"].(string)

	clock.Advance(time.Second)
	// b caches the key now, until now+ttl.
	if code, body := b.do(http.MethodGet, "/api/v1/api-keys", victim, ""); code != http.StatusOK {
		t.Fatalf("list keys on b: %d %v", code, body)
	}
	if code, body := a.do(http.MethodGet, "/api/v1/api-keys", victim, ""); code != http.StatusOK {
		t.Fatalf("list keys on a: %d %v", code, body)
	}
	clock.Advance(time.Second)
	if code, body := a.do(http.MethodDelete, "/api/v1/api-keys/"+id, admin, ""); code != http.StatusNoContent {
		t.Fatalf("revoke key: %d %v", code, body)
	}

	if code, _ := a.do(http.MethodGet, "/api/v1/api-keys", victim, ""); code != http.StatusUnauthorized {
		t.Fatalf("revoked key on the replica that revoked it: %d, want 401", code)
	}
	clock.Advance(ttl - time.Second - time.Nanosecond)
	if code, _ := b.do(http.MethodGet, "/api/v1/api-keys", victim, ""); code != http.StatusOK {
		t.Fatalf("revoked key on another replica within the cache TTL: %d, want 200 from its cache", code)
	}
	clock.Advance(time.Nanosecond)
	if code, _ := b.do(http.MethodGet, "/api/v1/api-keys", victim, ""); code != http.StatusUnauthorized {
		t.Fatalf("revoked key on another replica at the cache TTL: %d, want 401", code)
	}
}

// Without a clock in its dependencies the edge runs on the wall clock.
func TestNoClockMeansTheWallClock(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	a, err := app.New(app.Config{}, app.Deps{Pool: pool, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	orgID, _, err := a.CreateOrg(context.Background(), "Acme", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	at := timestamp(t, pool, `SELECT created_at FROM edge.orgs WHERE id = $1`, orgID)
	if at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Fatalf("organisation created at %v, want about %v", at, time.Now())
	}
}
