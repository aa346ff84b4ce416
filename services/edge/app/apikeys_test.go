package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/edge/app"
)

// newOrg creates an organisation on the replica and returns the secret
// of its first key, holding scopes.
func (r *replica) newOrg(scopes ...string) string {
	r.t.Helper()
	_, secret, err := r.app.CreateOrg(context.Background(), "Acme", scopes)
	if err != nil {
		r.t.Fatal(err)
	}
	return secret
}

// createKey creates a key with secret and returns the new key's id and
// secret.
func (r *replica) createKey(secret, body string) (id, key string) {
	r.t.Helper()
	code, created := r.do(http.MethodPost, "/api/v1/api-keys", secret, body)
	if code != http.StatusCreated {
		r.t.Fatalf("create key %s: %d %v", body, code, created)
	}
	return created["id"].(string), created["key"].(string)
}

// errorOf returns the code and message of an error envelope.
func errorOf(body map[string]any) (code, message string) {
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// A cursor the key listing did not hand out is a 400, never a query that
// Postgres refuses (503, which clients retry forever) nor a page from a
// made-up position.
func TestKeyListingRefusesForeignCursors(t *testing.T) {
	t.Parallel()
	edge := newReplica(t, app.Config{}, newPool(t), clockwork.NewFakeClockAt(t0))
	admin := edge.newOrg("write")
	for i := range 2 {
		edge.createKey(admin, fmt.Sprintf(`{"name":"k%d","scopes":["read"]}`, i))
	}
	cursors := map[string]string{
		"bytes that are not text": "garbage",
		"not base64":              "not*base64",
		"a NUL":                   grpcx.EncodeToken("key_\x00"),
		"not an id":               grpcx.EncodeToken("hello"),
		"another kind of id":      grpcx.EncodeToken(ids.New(ids.Service)),
	}
	for name, cursor := range cursors {
		t.Run(name, func(t *testing.T) {
			code, body := edge.do(http.MethodGet, "/api/v1/api-keys?cursor="+url.QueryEscape(cursor), admin, "")
			if c, msg := errorOf(body); code != http.StatusBadRequest || c != "bad_request" || msg != "cursor is malformed; pass next_cursor from the previous page" {
				t.Fatalf("cursor %q: %d %v, want 400 bad_request about the cursor", cursor, code, body)
			}
		})
	}

	// The cursors the listing hands out still page through every key.
	seen := 0
	for path := "/api/v1/api-keys?limit=2"; ; {
		code, page := edge.do(http.MethodGet, path, admin, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, page)
		}
		seen += len(page["data"].([]any))
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/api-keys?limit=2&cursor=" + url.QueryEscape(next)
	}
	if seen != 3 {
		t.Fatalf("paged through %d keys, want 3", seen)
	}
}

// listedKeys returns the ids of the keys secret lists.
func (r *replica) listedKeys(secret string) []string {
	r.t.Helper()
	code, page := r.do(http.MethodGet, "/api/v1/api-keys", secret, "")
	if code != http.StatusOK {
		r.t.Fatalf("list keys: %d %v", code, page)
	}
	var out []string
	for _, k := range page["data"].([]any) {
		out = append(out, k.(map[string]any)["id"].(string))
	}
	return out
}

// A key manages only keys whose scopes it holds itself: it lists them and
// revokes them, and is refused (403) the keys that can do more than it.
func TestKeysManageOnlyKeysTheyCover(t *testing.T) {
	t.Parallel()
	edge := newReplica(t, app.Config{}, newPool(t), clockwork.NewFakeClockAt(t0))
	admin := edge.newOrg("write")
	adminID := edge.listedKeys(admin)[0]
	keysID, keys := edge.createKey(admin, `{"name":"key manager","scopes":["api_keys"]}`)
	readerID, _ := edge.createKey(admin, `{"name":"key auditor","scopes":["api_keys:read"]}`)
	deployID, _ := edge.createKey(admin, `{"name":"deploys","scopes":["services"]}`)
	mixedID, _ := edge.createKey(admin, `{"name":"mixed","scopes":["api_keys","services:read"]}`)

	if got, want := edge.listedKeys(keys), []string{keysID, readerID}; !slices.Equal(got, want) {
		t.Errorf("the api_keys key lists %v, want only the keys it covers %v", got, want)
	}
	if got, want := edge.listedKeys(admin), []string{adminID, keysID, readerID, deployID, mixedID}; !slices.Equal(got, want) {
		t.Errorf("the write key lists %v, want every key %v", got, want)
	}

	refused := []struct {
		id, missing string
	}{
		{adminID, "write"},
		{deployID, "services"},
		{mixedID, "services:read"},
	}
	for _, tt := range refused {
		code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+tt.id, keys, "")
		want := "this API key cannot revoke " + tt.id + ": that key holds " + tt.missing + ", which this key does not; a key manages only keys whose scopes it holds itself"
		if c, msg := errorOf(body); code != http.StatusForbidden || c != "forbidden" || msg != want {
			t.Errorf("revoke %s with the api_keys key: %d %v, want 403 %q", tt.id, code, body, want)
		}
	}
	if code, body := edge.do(http.MethodGet, "/api/v1/api-keys", admin, ""); code != http.StatusOK {
		t.Fatalf("the write key after a refused revocation: %d %v", code, body)
	}

	if code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+readerID, keys, ""); code != http.StatusNoContent {
		t.Errorf("revoke an api_keys:read key with the api_keys key: %d %v", code, body)
	}
	if code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+deployID, admin, ""); code != http.StatusNoContent {
		t.Errorf("revoke a services key with the write key: %d %v", code, body)
	}
	if code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+deployID, keys, ""); code != http.StatusNotFound {
		t.Errorf("revoke a revoked key: %d %v, want 404", code, body)
	}
	if code, body := edge.do(http.MethodDelete, "/api/v1/api-keys/"+keysID, keys, ""); code != http.StatusNoContent {
		t.Errorf("a key revoking itself: %d %v", code, body)
	}
}

// A key may carry an expiry, which must be ahead when it is created.
func TestKeyExpiryIsValidated(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	edge := newReplica(t, app.Config{}, newPool(t), clock)
	admin := edge.newOrg("write")
	now := t0.Truncate(time.Microsecond)
	tests := []struct {
		expiry  string
		message string
	}{
		{`"` + now.Add(-time.Hour).Format(time.RFC3339) + `"`, "expires_at must be in the future"},
		{`"` + now.Format(time.RFC3339Nano) + `"`, "expires_at must be in the future"},
		{`"tomorrow"`, `expires_at "tomorrow" is not an RFC 3339 time such as 2026-11-23T10:00:00Z`},
		{`"2031-03-05"`, `expires_at "2031-03-05" is not an RFC 3339 time such as 2026-11-23T10:00:00Z`},
		{`1999999999`, "expires_at must be a string"},
	}
	for _, tt := range tests {
		code, body := edge.do(http.MethodPost, "/api/v1/api-keys", admin, `{"name":"ci","scopes":["read"],"expires_at":`+tt.expiry+`}`)
		if c, msg := errorOf(body); code != http.StatusUnprocessableEntity || c != "invalid_value" || msg != tt.message {
			t.Errorf("expires_at %s: %d %v, want 422 %q", tt.expiry, code, body, tt.message)
		}
	}

	// A future expiry is kept to the microsecond, in UTC, and shown; keys
	// without one (absent or null) show null.
	code, created := edge.do(http.MethodPost, "/api/v1/api-keys", admin, `{"name":"ci","scopes":["read"],"expires_at":"2031-03-05T07:06:07.1234567+02:00"}`)
	if code != http.StatusCreated || created["expires_at"] != "2031-03-05T05:06:07.123456Z" {
		t.Fatalf("create a key expiring tomorrow: %d %v, want expires_at 2031-03-05T05:06:07.123456Z", code, created)
	}
	if code, created := edge.do(http.MethodPost, "/api/v1/api-keys", admin, `{"name":"lasting","scopes":["read"],"expires_at":null}`); code != http.StatusCreated || created["expires_at"] != nil {
		t.Fatalf("create a key with expires_at null: %d %v, want expires_at null", code, created)
	}
	code, page := edge.do(http.MethodGet, "/api/v1/api-keys", admin, "")
	expiries := map[string]any{}
	for _, k := range page["data"].([]any) {
		k := k.(map[string]any)
		expiries[k["name"].(string)] = k["expires_at"]
	}
	if code != http.StatusOK || len(expiries) != 3 || expiries["ci"] != "2031-03-05T05:06:07.123456Z" || expiries["initial"] != nil || expiries["lasting"] != nil {
		t.Fatalf("list keys: %d %v, want ci's expiry and null for the others", code, page)
	}
}

// A key is refused once the edge's clock reaches its expiry, on every
// replica, even one that cached it for longer.
func TestExpiredKeyIsRefused(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	clock := clockwork.NewFakeClockAt(t0)
	cfg := app.Config{AuthCacheTTL: time.Hour}
	a, b := newReplica(t, cfg, pool, clock), newReplica(t, cfg, pool, clock)
	admin := a.newOrg("write")
	expiry := pgdb.Now(clock).Add(30 * time.Second)
	_, key := a.createKey(admin, `{"name":"temporary","scopes":["read"],"expires_at":"`+expiry.Format(time.RFC3339Nano)+`"}`)

	// a caches the key now, for an hour it must not outlive.
	if code, body := a.do(http.MethodGet, "/api/v1/api-keys", key, ""); code != http.StatusOK {
		t.Fatalf("a key before its expiry: %d %v", code, body)
	}
	clock.Advance(30*time.Second - time.Microsecond)
	for name, r := range map[string]*replica{"a (cached)": a, "b": b} {
		if code, body := r.do(http.MethodGet, "/api/v1/api-keys", key, ""); code != http.StatusOK {
			t.Fatalf("on %s a microsecond before its expiry: %d %v, want 200", name, code, body)
		}
	}
	clock.Advance(time.Microsecond)
	want := "this API key expired at " + expiry.Format(time.RFC3339Nano)
	for name, r := range map[string]*replica{"a (cached)": a, "b (cached)": b} {
		code, body := r.do(http.MethodGet, "/api/v1/api-keys", key, "")
		if c, msg := errorOf(body); code != http.StatusUnauthorized || c != "unauthorized" || msg != want {
			t.Errorf("on %s at its expiry: %d %v, want 401 %q", name, code, body, want)
		}
	}
	// Other keys are unaffected.
	if code, body := a.do(http.MethodGet, "/api/v1/api-keys", admin, ""); code != http.StatusOK {
		t.Fatalf("a key without expiry: %d %v", code, body)
	}
}
