package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Each route answered with each scope: allowed routes succeed, the rest
// are 403 — never 404 or 500.
func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	inc := s.openIncident(map[string]any{"title": "API errors", "severity": "minor", "service_ids": []string{svc}})
	hour := time.Now().Add(time.Hour)
	mnt := s.scheduleMaintenance([]string{svc}, hour, hour.Add(time.Hour))["id"].(string)
	window := maintenanceWindow(svc)

	type route struct {
		method, path, body string
		resource           string
		write              bool
	}
	routes := []route{
		{http.MethodGet, "/api/v1/services", "", "services", false},
		{http.MethodPost, "/api/v1/services", `{"name":"new-%s"}`, "services", true},
		{http.MethodGet, "/api/v1/services/" + svc, "", "services", false},
		{http.MethodPut, "/api/v1/services/" + svc, `{"status":"operational"}`, "services", true},
		{http.MethodPatch, "/api/v1/services/" + svc, `{"description":"%s"}`, "services", true},
		{http.MethodGet, "/api/v1/services/" + svc + "/history", "", "services", false},
		{http.MethodGet, "/api/v1/api-keys", "", "api_keys", false},
		{http.MethodPost, "/api/v1/api-keys", `{"name":"k-%s","scopes":["services:read"]}`, "api_keys", true},
		{http.MethodGet, "/api/v1/incidents", "", "incidents", false},
		{http.MethodPost, "/api/v1/incidents", `{"title":"new-%s","severity":"minor"}`, "incidents", true},
		{http.MethodGet, "/api/v1/incidents/" + inc, "", "incidents", false},
		{http.MethodPatch, "/api/v1/incidents/" + inc, `{"title":"%s"}`, "incidents", true},
		{http.MethodPost, "/api/v1/incidents/" + inc + "/updates", `{"message":"%s"}`, "incidents", true},
		{http.MethodGet, "/api/v1/maintenances", "", "maintenances", false},
		{http.MethodPost, "/api/v1/maintenances", window, "maintenances", true},
		{http.MethodGet, "/api/v1/maintenances/" + mnt, "", "maintenances", false},
		{http.MethodPatch, "/api/v1/maintenances/" + mnt, `{"message":"%s"}`, "maintenances", true},
	}
	scopes := []string{
		"read", "write", "services", "services:read", "api_keys", "api_keys:read",
		"incidents", "incidents:read", "maintenances", "maintenances:read",
	}
	allowed := func(scope string, r route) bool {
		switch scope {
		case "write", r.resource:
			return true
		case "read", r.resource + ":read":
			return !r.write
		}
		return false
	}
	for _, scope := range scopes {
		key := s.keyWith(scope)
		for _, r := range routes {
			name := scope + " " + r.method + " " + r.path
			var body any
			if r.body != "" {
				body = strings.ReplaceAll(r.body, "%s", strings.ReplaceAll(scope, ":", "-"))
			}
			res := s.do(r.method, r.path, key, body)
			// A key may only grant what it holds: creating a services:read
			// key needs a services scope too, which only write has here.
			want := allowed(scope, r)
			if r.method == http.MethodPost && r.resource == "api_keys" && scope == "api_keys" {
				if res.Status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403 (cannot grant services:read)", name, res.Status)
				}
				continue
			}
			switch {
			case want && (res.Status < 200 || res.Status > 299):
				t.Errorf("%s: %d %s, want success", name, res.Status, res.Body)
			case !want && res.Status != http.StatusForbidden:
				t.Errorf("%s: %d, want 403", name, res.Status)
			case !want && res.errorCode(t) != "forbidden":
				t.Errorf("%s: code %s", name, res.errorCode(t))
			}
		}
		// DELETE routes last, on throwaway targets.
		victim := s.createService(bootstrapKey, "victim-"+strings.ReplaceAll(scope, ":", "-"))
		res := s.do(http.MethodDelete, "/api/v1/services/"+victim, key, nil)
		if want := allowed(scope, route{resource: "services", write: true}); want != (res.Status == http.StatusNoContent) {
			t.Errorf("%s DELETE service: %d", scope, res.Status)
		}
		// Cancelling a window answers it, with 200.
		victimWindow := s.scheduleMaintenance([]string{svc}, hour, hour.Add(time.Hour))["id"].(string)
		res = s.do(http.MethodDelete, "/api/v1/maintenances/"+victimWindow, key, nil)
		want := http.StatusForbidden
		if allowed(scope, route{resource: "maintenances", write: true}) {
			want = http.StatusOK
		}
		if res.Status != want {
			t.Errorf("%s DELETE maintenance: %d %s, want %d", scope, res.Status, res.Body, want)
		}
	}
}

// keyWith creates, with the bootstrap key, a key holding one scope.
func (s *stack) keyWith(scope string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/api-keys", bootstrapKey, map[string]any{"name": scope, "scopes": []string{scope}})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create key with %s: %d %s", scope, r.Status, r.Body)
	}
	return r.json(s.t)["key"].(string)
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	created := s.do(http.MethodPost, "/api/v1/api-keys", bootstrapKey, `{"name":"CI deploys","scopes":["services"]}`)
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	k := created.json(t)
	secret, id := k["key"].(string), k["id"].(string)
	if !strings.HasPrefix(secret, "ak_live_") || !strings.HasPrefix(secret, k["prefix"].(string)) || !strings.HasPrefix(id, "key_") {
		t.Fatalf("created key = %s", created.Body)
	}
	// The secret is stored only as a hash.
	if n := s.count(`SELECT count(*) FROM edge.api_keys WHERE position($1 in encode(key_hash, 'escape')) > 0 OR prefix = $1`, secret); n != 0 {
		t.Fatal("the secret is stored in clear")
	}
	if r := s.do(http.MethodGet, "/api/v1/services", secret, nil); r.Status != http.StatusOK {
		t.Fatalf("new key does not work: %d", r.Status)
	}
	list := s.do(http.MethodGet, "/api/v1/api-keys", bootstrapKey, nil)
	if strings.Contains(string(list.Body), secret) {
		t.Fatal("listing shows a secret")
	}
	var listed map[string]any
	for _, d := range list.json(t)["data"].([]any) {
		if d.(map[string]any)["id"] == id {
			listed = d.(map[string]any)
		}
	}
	if listed == nil || listed["last_used_at"] == nil || listed["name"] != "CI deploys" {
		t.Fatalf("listed key = %v", listed)
	}

	if r := s.do(http.MethodPost, "/api/v1/api-keys", bootstrapKey, `{"name":"x","scopes":["admin"]}`); r.Status != 422 {
		t.Fatalf("unknown scope: %d", r.Status)
	}
	if r := s.do(http.MethodPost, "/api/v1/api-keys", secret, `{"name":"x","scopes":["write"]}`); r.Status != 403 {
		t.Fatalf("escalation: %d", r.Status)
	}
	if r := s.do(http.MethodDelete, "/api/v1/api-keys/"+id, bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodGet, "/api/v1/services", secret, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked key still works: %d", r.Status)
	}
	if r := s.do(http.MethodDelete, "/api/v1/api-keys/"+id, bootstrapKey, nil); r.Status != http.StatusNotFound {
		t.Fatalf("second revoke: %d", r.Status)
	}
	// Another org cannot revoke my bootstrap key.
	other := s.newOrg("write")
	mine := s.do(http.MethodGet, "/api/v1/api-keys", bootstrapKey, nil).json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	if r := s.do(http.MethodDelete, "/api/v1/api-keys/"+mine, other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-org revoke: %d", r.Status)
	}
}

// A key holding only api_keys can neither revoke nor see the bootstrap
// key, which holds write: it manages only keys whose scopes it holds.
func TestAPIKeysScopeCannotRevokeTheBootstrapKey(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	bootstrapID := s.onlyKeyID(bootstrapKey)
	manager := s.keyWith("api_keys")

	r := s.do(http.MethodDelete, "/api/v1/api-keys/"+bootstrapID, manager, nil)
	e, _ := r.json(t)["error"].(map[string]any)
	want := "this API key cannot revoke " + bootstrapID + ": that key holds write, which this key does not; a key manages only keys whose scopes it holds itself"
	if r.Status != http.StatusForbidden || e["code"] != "forbidden" || e["message"] != want {
		t.Fatalf("revoke the bootstrap key with an api_keys key: %d %s, want 403 %q", r.Status, r.Body, want)
	}
	if r := s.do(http.MethodGet, "/api/v1/services", bootstrapKey, nil); r.Status != http.StatusOK {
		t.Fatalf("the bootstrap key after the refused revocation: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodGet, "/api/v1/api-keys", manager, nil); strings.Contains(string(r.Body), bootstrapID) {
		t.Fatalf("the api_keys key lists the bootstrap key: %s", r.Body)
	}
}
