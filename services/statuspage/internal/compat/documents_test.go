package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// Names are the v2 documents a page serves.
var names = []string{
	"summary", "status", "components", "incidents", "incidents/unresolved",
	"scheduled-maintenances", "scheduled-maintenances/upcoming", "scheduled-maintenances/active",
}

// Statuspage's field lists of its public v2 API objects, as its
// documentation and any Statuspage page serve them.
var (
	pageFields     = []string{"id", "name", "url", "time_zone", "updated_at"}
	statusFields   = []string{"indicator", "description"}
	componentField = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
		"start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
	incidentFields = []string{"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
		"shortlink", "started_at", "page_id", "incident_updates", "components"}
	maintenanceFields = append(slices.Clone(incidentFields), "scheduled_for", "scheduled_until")
	updateFields      = []string{"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
		"affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
	documentFields = map[string][]string{
		"summary":                {"page", "components", "incidents", "scheduled_maintenances", "status"},
		"status":                 {"page", "status"},
		"components":             {"page", "components"},
		"incidents":              {"page", "incidents"},
		"scheduled-maintenances": {"page", "scheduled_maintenances"},
	}
	// Statuspage's enums.
	componentStatuses   = []string{"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
	indicators          = []string{"none", "minor", "major", "critical"}
	incidentStatuses    = []string{"investigating", "identified", "monitoring", "resolved", "postmortem"}
	maintenanceStatuses = []string{"scheduled", "in_progress", "verifying", "completed"}
	impacts             = []string{"none", "minor", "major", "critical"}
)

func golden(name string) string {
	return filepath.Join("testdata", strings.ReplaceAll(name, "/", "_")+".json")
}

// TestDocumentsGolden compares every document with its golden file
// (UPSTATE_UPDATE_GOLDEN=1 rewrites them), checks its fields against
// Statuspage's and round-trips it through a strict decoder.
func TestDocumentsGolden(t *testing.T) {
	t.Parallel()
	v := fixture()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			doc, ok := v.Document(name)
			if !ok {
				t.Fatalf("no document %s", name)
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if os.Getenv("UPSTATE_UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(golden(name), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden(name))
			if err != nil {
				t.Fatalf("%v (UPSTATE_UPDATE_GOLDEN=1 writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", name, golden(name), got)
			}
			checkShape(t, name, want)
			roundTrip(t, want, reflect.TypeOf(doc))
		})
	}
}

// roundTrip decodes data strictly into a value of typ, which must take
// every field, and encodes it back to the same JSON.
func roundTrip(t *testing.T, data []byte, typ reflect.Type) {
	t.Helper()
	ptr := reflect.New(typ)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	again, err := json.MarshalIndent(ptr.Interface(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(again, '\n'), data) {
		t.Errorf("round trip changed the document:\n%s", again)
	}
}

// checkShape checks the document's objects have exactly Statuspage's
// fields and enums.
func checkShape(t *testing.T, name string, data []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	base, _, _ := strings.Cut(name, "/")
	fields(t, "document", doc, documentFields[base])
	fields(t, "page", doc["page"].(map[string]any), pageFields)
	if st, ok := doc["status"].(map[string]any); ok {
		fields(t, "status", st, statusFields)
		enum(t, "status.indicator", st["indicator"], indicators)
	}
	for _, c := range list(doc["components"]) {
		want := componentField
		if c["group"] == true {
			want = append(slices.Clone(want), "components")
		}
		fields(t, "component", c, want)
		enum(t, "component.status", c["status"], componentStatuses)
	}
	for _, inc := range list(doc["incidents"]) {
		fields(t, "incident", inc, incidentFields)
		enum(t, "incident.status", inc["status"], incidentStatuses)
		enum(t, "incident.impact", inc["impact"], impacts)
		updates(t, inc)
	}
	for _, m := range list(doc["scheduled_maintenances"]) {
		fields(t, "scheduled maintenance", m, maintenanceFields)
		enum(t, "scheduled maintenance.status", m["status"], maintenanceStatuses)
		enum(t, "scheduled maintenance.impact", m["impact"], []string{"maintenance"})
		updates(t, m)
	}
}

func updates(t *testing.T, inc map[string]any) {
	t.Helper()
	for _, u := range list(inc["incident_updates"]) {
		fields(t, "incident update", u, updateFields)
	}
	for _, c := range list(inc["components"]) {
		fields(t, "incident component", c, componentField)
	}
}

func list(v any) []map[string]any {
	var out []map[string]any
	items, _ := v.([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

func fields(t *testing.T, what string, obj map[string]any, want []string) {
	t.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	sort.Strings(got)
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		t.Errorf("%s has fields %v, Statuspage's has %v", what, got, w)
	}
}

func enum(t *testing.T, what string, v any, allowed []string) {
	t.Helper()
	s, _ := v.(string)
	if !slices.Contains(allowed, s) {
		t.Errorf("%s = %v, not one of %v", what, v, allowed)
	}
}

// The summary lists only what is current: unresolved incidents, upcoming
// and active maintenance; the hidden operational component is left out;
// a group's status is its worst member's.
func TestSummaryContents(t *testing.T) {
	t.Parallel()
	s := fixture().Summary()
	var comps []string
	for _, c := range s.Components {
		comps = append(comps, c.ID+"="+c.Status)
	}
	want := "cmp_api=operational " + domain.GroupID(fixture().Page.ID, "Email") + "=degraded_performance cmp_delivery=degraded_performance cmp_smtp=under_maintenance"
	if got := strings.Join(comps, " "); got != want {
		t.Errorf("components = %s, want %s", got, want)
	}
	if len(s.Incidents) != 1 || s.Incidents[0].ID != "inc_open" || *s.Incidents[0].MonitoringAt != "2026-12-03T11:40:00.000+01:00" {
		t.Errorf("incidents = %+v, want inc_open, monitored at 11:40 Berlin time", s.Incidents)
	}
	var windows []string
	for _, m := range s.ScheduledMaintenances {
		windows = append(windows, m.ID+"="+m.Status)
	}
	if got := strings.Join(windows, " "); got != "mnt_next=scheduled mnt_now=in_progress" {
		t.Errorf("scheduled_maintenances = %s", got)
	}
	if s.Status != (StatusJSON{"minor", "Minor Service Outage"}) {
		t.Errorf("status = %+v, want minor (degraded and a minor incident)", s.Status)
	}
}
