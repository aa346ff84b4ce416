package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// A list of tens of thousands of service ids is refused with 422 for
// its length, on every operation that takes one, before any id is looked
// at: whatever the ids are, and even when its repeats would leave fewer
// than the limit. (How fast is reported by go test -bench in the
// incidents domain, not asserted here.)
func TestOversizedServiceListsAreRefused(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	inc := s.openIncident(map[string]any{"title": "API errors", "severity": "minor", "service_ids": []string{api}})
	now := time.Now().UTC().Truncate(time.Second)
	mnt := s.scheduleMaintenance([]string{api}, now.Add(time.Hour), now.Add(2*time.Hour))["id"].(string)

	distinct := make([]string, 50_000)
	for i := range distinct {
		distinct[i] = fmt.Sprintf("s%d", i)
	}
	lists := map[string][]string{
		"50,000 distinct ids": distinct,
		// As many as fit in the 1 MiB body limit.
		"30,000 copies of a service's id": slices.Repeat([]string{api}, 30_000),
	}
	for name, ids := range lists {
		raw, err := json.Marshal(ids)
		if err != nil {
			t.Fatal(err)
		}
		list := string(raw)
		window := `"starts_at":"` + now.Add(time.Hour).Format(time.RFC3339) + `","ends_at":"` + now.Add(2*time.Hour).Format(time.RFC3339) + `"`
		requests := []struct{ method, path, body string }{
			{http.MethodPost, "/api/v1/incidents", `{"title":"Outage","severity":"major","service_ids":` + list + `}`},
			{http.MethodPatch, "/api/v1/incidents/" + inc, `{"service_ids":` + list + `}`},
			{http.MethodPost, "/api/v1/maintenances", `{"title":"Upgrade",` + window + `,"service_ids":` + list + `}`},
			{http.MethodPatch, "/api/v1/maintenances/" + mnt, `{"service_ids":` + list + `}`},
		}
		for _, r := range requests {
			t.Run(name+"/"+r.method+" "+r.path, func(t *testing.T) {
				res := s.do(r.method, r.path, bootstrapKey, r.body)
				e, _ := res.json(t)["error"].(map[string]any)
				if res.Status != http.StatusUnprocessableEntity || e["code"] != "invalid_value" || e["message"] != "service_ids: must name at most 100 services" {
					t.Fatalf("%d %.300s, want 422 about the limit of 100 services", res.Status, res.Body)
				}
			})
		}
	}
	if n := s.count(`SELECT count(*) FROM incidents.incidents`); n != 1 {
		t.Errorf("incidents after refused requests = %d, want 1", n)
	}
	if n := s.count(`SELECT count(*) FROM incidents.maintenances`); n != 1 {
		t.Errorf("maintenance windows after refused requests = %d, want 1", n)
	}
}
