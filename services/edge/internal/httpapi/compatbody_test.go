package httpapi

import (
	"encoding/json"
	"net/url"
	"testing"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

func TestFormTreeNestsStatuspageFields(t *testing.T) {
	for _, tt := range []struct {
		body, want string
	}{
		{"component[status]=major_outage", `{"component":{"status":"major_outage"}}`},
		{"incident[name]=DB&incident[component_ids][]=cmp_1&incident[component_ids][]=cmp_2&incident[components][cmp_1]=partial_outage",
			`{"incident":{"component_ids":["cmp_1","cmp_2"],"components":{"cmp_1":"partial_outage"},"name":"DB"}}`},
		{"incident[body]=a&incident[body]=b", `{"incident":{"body":"b"}}`},
		{"plain=1", `{"plain":"1"}`},
	} {
		form, err := url.ParseQuery(tt.body)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := formTree(form)
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		got, _ := json.Marshal(tree)
		if string(got) != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.body, got, tt.want)
		}
	}
	for _, bad := range []string{"[status]=x", "component[status=x", "component[]x=1", "a[b]=1&a[b][c]=2", "a]b=1", "a[b][]=1&a[b]=2"} {
		form, _ := url.ParseQuery(bad)
		if tree, err := formTree(form); err == nil {
			t.Errorf("%s: accepted as %v", bad, tree)
		}
	}
}

func TestStatuspageStatusesMapBack(t *testing.T) {
	for in, want := range map[string]statusv1.Status{
		"operational": statusv1.Status_STATUS_OPERATIONAL, "degraded_performance": statusv1.Status_STATUS_DEGRADED,
		"partial_outage": statusv1.Status_STATUS_DEGRADED, "major_outage": statusv1.Status_STATUS_DOWN,
		"under_maintenance": statusv1.Status_STATUS_MAINTENANCE, " Major_Outage ": statusv1.Status_STATUS_DOWN,
	} {
		if got, err := parseSPStatus("component[status]", in); err != nil || got != want {
			t.Errorf("parseSPStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"down", "", "outage"} {
		if _, err := parseSPStatus("component[status]", bad); err == nil {
			t.Errorf("parseSPStatus(%q) accepted", bad)
		}
	}
	for _, tt := range []struct {
		in   []string
		want statusv1.Severity
	}{
		{nil, statusv1.Severity_SEVERITY_MINOR},
		{[]string{"degraded_performance"}, statusv1.Severity_SEVERITY_MINOR},
		{[]string{"partial_outage", "operational"}, statusv1.Severity_SEVERITY_MAJOR},
		{[]string{"partial_outage", "major_outage"}, statusv1.Severity_SEVERITY_CRITICAL},
	} {
		if got := spImpactOf(tt.in); got != tt.want {
			t.Errorf("spImpactOf(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
