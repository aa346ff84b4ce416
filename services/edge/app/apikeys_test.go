package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
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
