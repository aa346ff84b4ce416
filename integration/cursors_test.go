package integration

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/upstatehq/upstate/pkg/grpcx"
)

// Every paged listing, the edge's own and those it proxies, answers a
// cursor it did not hand out with 400: never 503 with Retry-After, which
// clients would retry forever.
func TestEveryListingRefusesGarbageCursors(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	listings := []string{
		"/api/v1/services",
		"/api/v1/services/" + svc + "/history",
		"/api/v1/webhook-receivers",
		"/api/v1/incidents",
		"/api/v1/maintenances",
		"/api/v1/api-keys",
	}
	cursors := map[string]string{
		"bytes that are not text": "garbage",
		"not base64":              "not*base64",
		"a NUL":                   grpcx.EncodeToken("x\x00"),
	}
	for _, path := range listings {
		for name, cursor := range cursors {
			t.Run(path+"/"+name, func(t *testing.T) {
				r := s.do(http.MethodGet, path+"?cursor="+url.QueryEscape(cursor), bootstrapKey, nil)
				e, _ := r.json(t)["error"].(map[string]any)
				if r.Status != http.StatusBadRequest || e["code"] != "bad_request" ||
					e["message"] != "cursor is malformed; pass next_cursor from the previous page" || r.Header.Get("Retry-After") != "" {
					t.Fatalf("cursor %q: %d (Retry-After %q) %s, want 400 bad_request about the cursor",
						cursor, r.Status, r.Header.Get("Retry-After"), r.Body)
				}
			})
		}
	}
}
