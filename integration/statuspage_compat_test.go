package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// spClient sends requests as a script written for Statuspage's management
// API does: Authorization: OAuth <key>, bodies JSON or form-encoded.
type spClient struct {
	s   *stack
	key string
}

// do sends a request; a body starting with "{" is JSON, any other is
// form-encoded, as Statuspage's curl examples send it.
func (c spClient) do(method, path, body string) response {
	c.s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.s.baseURL+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(body, "{"):
		req.Header.Set("Content-Type", "application/json")
	case body != "":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "OAuth "+c.key)
	}
	return send(c.s.t, req)
}

// object decodes an answer that must have status want.
func (c spClient) object(r response, want int) map[string]any {
	c.s.t.Helper()
	if r.Status != want {
		c.s.t.Fatalf("answered %d, want %d: %s", r.Status, want, r.Body)
	}
	return r.json(c.s.t)
}

// spError checks a Statuspage-shaped error: {"error":"…","message":"…"}.
func spError(t *testing.T, what string, r response, status int) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(r.Body, &e); err != nil || r.Status != status || e["error"] == "" || e["error"] == nil || e["message"] != e["error"] {
		t.Errorf("%s: %d %s, want %d with Statuspage's error shape", what, r.Status, r.Body, status)
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A script written for Statuspage's management API, pointed at upstate:
// it lists a page's components, sets their statuses (JSON and
// form-encoded, as Statuspage's curl examples do), opens an incident that
// marks a component down, updates and resolves it, and gets Statuspage's
// answers and errors; upstate's services, incidents, public documents and
// audit log follow.
func TestStatuspageCompatibleScript(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	apiSvc := s.createService(bootstrapKey, "API")
	dbSvc := s.createService(bootstrapKey, "Database")
	page := s.createPage(map[string]any{"name": "Acme", "slug": "acme-compat", "components": []map[string]any{
		{"service_id": apiSvc, "position": 1}, {"service_id": dbSvc, "position": 2, "description": "Primary store"}}})
	pageID := page["id"].(string)
	comps := page["components"].([]any)
	cmpAPI, cmpDB := comps[0].(map[string]any)["id"].(string), comps[1].(map[string]any)["id"].(string)
	sp := spClient{s: s, key: bootstrapKey}
	base := "/v1/pages/" + pageID
	serviceStatus := func(id string) string {
		return s.mustDo(200, "GET", "/api/v1/services/"+id, bootstrapKey, nil)["status"].(string)
	}

	// GET components: a bare array in Statuspage's shape, the same fields
	// as the public components.json.
	r := sp.do("GET", base+"/components", "")
	var listed []map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &listed) != nil || len(listed) != 2 {
		t.Fatalf("components: %d %s", r.Status, r.Body)
	}
	if listed[0]["id"] != cmpAPI || listed[0]["status"] != "operational" || listed[1]["description"] != "Primary store" || listed[0]["page_id"] != pageID {
		t.Errorf("components: %v", listed)
	}
	var public []any
	testenv.Eventually(t, 10*time.Second, func() error {
		doc := s.public("/status/acme-compat/api/v2/components.json")
		if doc.Status != http.StatusOK {
			return fmt.Errorf("components.json: %d", doc.Status)
		}
		public = doc.json(t)["components"].([]any)
		if len(public) != 2 {
			return fmt.Errorf("%d public components", len(public))
		}
		return nil
	})
	if got, want := keysOf(listed[0]), keysOf(public[0].(map[string]any)); !slices.Equal(got, want) {
		t.Errorf("component fields %v, the public document's %v", got, want)
	}

	// PATCH a component's status: JSON, then form-encoded, then with PUT.
	got := sp.object(sp.do("PATCH", base+"/components/"+cmpAPI, `{"component":{"status":"major_outage"}}`), 200)
	if got["status"] != "major_outage" || got["id"] != cmpAPI || serviceStatus(apiSvc) != "down" {
		t.Errorf("major_outage: answered %v, service %s", got, serviceStatus(apiSvc))
	}
	// Read after write: the change shows at once.
	if one := sp.object(sp.do("GET", base+"/components/"+cmpAPI, ""), 200); one["status"] != "major_outage" {
		t.Errorf("component after its change: %v", one)
	}
	got = sp.object(sp.do("PATCH", base+"/components/"+cmpDB, "component[status]=partial_outage"), 200)
	if got["status"] != "degraded_performance" || serviceStatus(dbSvc) != "degraded" {
		t.Errorf("partial_outage: answered %v, service %s", got, serviceStatus(dbSvc))
	}
	got = sp.object(sp.do("PUT", base+"/components/"+cmpDB, "component[status]=under_maintenance"), 200)
	if got["status"] != "under_maintenance" || serviceStatus(dbSvc) != "maintenance" {
		t.Errorf("under_maintenance: answered %v, service %s", got, serviceStatus(dbSvc))
	}
	sp.object(sp.do("PATCH", base+"/components/"+cmpDB, `{"component":{"status":"operational"}}`), 200)
	sp.object(sp.do("PATCH", base+"/components/"+cmpAPI, "component%5Bstatus%5D=operational"), 200)

	// Open an incident as Statuspage's form example does, marking a
	// component down.
	form := url.Values{
		"incident[name]": {"Elevated API errors"}, "incident[status]": {"investigating"},
		"incident[body]": {"We are looking into it."}, "incident[component_ids][]": {cmpAPI},
		"incident[components][" + cmpAPI + "]": {"major_outage"}, "incident[deliver_notifications]": {"true"},
	}
	inc := sp.object(sp.do("POST", base+"/incidents", form.Encode()), 201)
	incID, _ := inc["id"].(string)
	ups, _ := inc["incident_updates"].([]any)
	incComps, _ := inc["components"].([]any)
	if !strings.HasPrefix(incID, "inc_") || inc["name"] != "Elevated API errors" || inc["status"] != "investigating" || inc["impact"] != "critical" ||
		len(ups) != 1 || len(incComps) != 1 || inc["page_id"] != pageID || inc["resolved_at"] != nil {
		t.Fatalf("created incident: %v", inc)
	}
	if serviceStatus(apiSvc) != "down" || incComps[0].(map[string]any)["status"] != "major_outage" {
		t.Errorf("the incident's component status: service %s, answered %v", serviceStatus(apiSvc), incComps)
	}
	native := s.mustDo(200, "GET", "/api/v1/incidents/"+incID, bootstrapKey, nil)
	if native["severity"] != "critical" || fmt.Sprint(native["service_ids"]) != fmt.Sprint([]any{apiSvc}) {
		t.Errorf("the incident upstate keeps: %v", native)
	}

	// Find it as a script does, among the unresolved ones.
	var open []map[string]any
	if r := sp.do("GET", base+"/incidents/unresolved", ""); r.Status != 200 || json.Unmarshal(r.Body, &open) != nil || len(open) != 1 || open[0]["id"] != incID {
		t.Errorf("unresolved incidents: %d %s", r.Status, r.Body)
	}

	// Update it (a note, then resolve with the component back), in JSON.
	inc = sp.object(sp.do("PATCH", base+"/incidents/"+incID, `{"incident":{"body":"Still looking."}}`), 200)
	if ups, _ := inc["incident_updates"].([]any); len(ups) != 2 || inc["status"] != "investigating" {
		t.Errorf("note: %v", inc)
	}
	inc = sp.object(sp.do("PATCH", base+"/incidents/"+incID, fmt.Sprintf(
		`{"incident":{"status":"resolved","body":"Fixed.","components":{%q:"operational"}}}`, cmpAPI)), 200)
	ups, _ = inc["incident_updates"].([]any)
	if inc["status"] != "resolved" || inc["resolved_at"] == nil || len(ups) != 3 || ups[0].(map[string]any)["body"] != "Fixed." {
		t.Errorf("resolved: %v", inc)
	}
	if serviceStatus(apiSvc) != "operational" {
		t.Errorf("after resolving: service %s", serviceStatus(apiSvc))
	}

	// An incident of a service not on the page is not the page's.
	billing := s.createService(bootstrapKey, "Billing")
	s.mustDo(201, "POST", "/api/v1/incidents", bootstrapKey, map[string]any{"title": "Invoices late", "severity": "minor", "service_ids": []string{billing}})
	for _, q := range []struct {
		path string
		n    int
	}{{"/incidents/unresolved", 0}, {"/incidents", 1}, {"/incidents?per_page=1&page=2", 0}} {
		var list []map[string]any
		if r := sp.do("GET", base+q.path, ""); r.Status != 200 || json.Unmarshal(r.Body, &list) != nil || len(list) != q.n {
			t.Errorf("%s after resolving: %d %s, want %d incidents", q.path, r.Status, r.Body, q.n)
		}
	}
	spError(t, "per_page 0", sp.do("GET", base+"/incidents?per_page=0", ""), 422)

	// The public incidents.json shows the same incident, field for field
	// the same shape, with the same update ids.
	testenv.Eventually(t, 10*time.Second, func() error {
		doc := s.public("/status/acme-compat/api/v2/incidents.json").json(t)
		for _, x := range doc["incidents"].([]any) {
			pub := x.(map[string]any)
			if pub["id"] != incID || pub["status"] != "resolved" {
				continue
			}
			if got, want := keysOf(inc), keysOf(pub); !slices.Equal(got, want) {
				return fmt.Errorf("incident fields %v, the public document's %v", got, want)
			}
			pubUps := pub["incident_updates"].([]any)
			if len(pubUps) != 3 || pubUps[0].(map[string]any)["id"] != ups[0].(map[string]any)["id"] {
				return fmt.Errorf("public updates %v, ours %v", pubUps, ups)
			}
			return nil
		}
		return fmt.Errorf("incident %s not resolved in incidents.json yet", incID)
	})

	// Errors in Statuspage's shape, with the statuses its clients expect.
	spError(t, "no key", spClient{s: s}.do("GET", base+"/components", ""), 401)
	spError(t, "bad key", spClient{s: s, key: "ak_live_nope"}.do("GET", base+"/components", ""), 401)
	spError(t, "unknown status", sp.do("PATCH", base+"/components/"+cmpAPI, `{"component":{"status":"down"}}`), 422)
	spError(t, "no status", sp.do("PATCH", base+"/components/"+cmpAPI, `{"component":{}}`), 422)
	spError(t, "unknown field", sp.do("PATCH", base+"/components/"+cmpAPI, `{"component":{"status":"operational","name":"X"}}`), 400)
	spError(t, "unknown component", sp.do("PATCH", base+"/components/cmp_01jdq5x9m2a7b3c4d5e6f7g8h9", "component[status]=operational"), 404)
	spError(t, "unknown page", sp.do("GET", "/v1/pages/pag_01jdq5x9m2a7b3c4d5e6f7g8h9/components", ""), 404)
	spError(t, "unknown route", sp.do("GET", "/v1/pages/"+pageID+"/metrics", ""), 404)
	spError(t, "no name", sp.do("POST", base+"/incidents", "incident[status]=investigating"), 422)
	spError(t, "maintenance status", sp.do("POST", base+"/incidents", "incident[name]=x&incident[status]=scheduled"), 422)
	spError(t, "component of no page", sp.do("POST", base+"/incidents", "incident[name]=x&incident[component_ids][]=cmp_x"), 422)
	readOnly := s.mustDo(201, "POST", "/api/v1/api-keys", bootstrapKey, map[string]any{"name": "reader", "scopes": []string{"read"}})["key"].(string)
	spError(t, "no write scope", spClient{s: s, key: readOnly}.do("PATCH", base+"/components/"+cmpAPI, "component[status]=major_outage"), 403)
	if serviceStatus(apiSvc) != "operational" {
		t.Errorf("a refused request changed the service: %s", serviceStatus(apiSvc))
	}

	// Each change is in the audit log: the component updates with the
	// component before and after, the incident, and the status changes
	// the incident made, each its own entry.
	entries, _ := s.auditLog(bootstrapKey, "limit=200&object_type=component")
	if len(entries) != 5 {
		t.Fatalf("%d component.update entries, want 5", len(entries))
	}
	first := entries[len(entries)-1]
	if first.Action != "component.update" || first.Object.ID != cmpAPI || first.Before["status"] != "operational" || first.After["status"] != "major_outage" {
		t.Errorf("first component update: %+v", first)
	}
	if n := len(mustEntries(s, "object_type=incident&object_id="+incID)); n != 3 {
		t.Errorf("%d entries of the incident, want 3 (create, note, resolve)", n)
	}
	statusChanges := mustEntries(s, "action=service.set_status&object_id="+apiSvc)
	if len(statusChanges) != 2 || statusChanges[1].After["status"] != "down" || statusChanges[1].After["status_description"] != "Elevated API errors" ||
		statusChanges[0].After["status"] != "operational" || statusChanges[0].RequestID == "" {
		t.Errorf("the incident's status changes: %+v", statusChanges)
	}
}

func mustEntries(s *stack, query string) []auditEntry {
	s.t.Helper()
	entries, _ := s.auditLog(bootstrapKey, "limit=200&"+query)
	return entries
}
