package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 30 * time.Second: "30s", 2 * time.Minute: "2m", 4 * time.Hour: "4h",
		90 * time.Minute: "1h30m", 1500 * time.Millisecond: "1.5s", time.Hour + time.Second: "1h1s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("%q reads back as %s, %v", formatDuration(d), back, err)
		}
	}
}

func TestRuleBody(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
		status int // 0: accepted
	}{
		{"the issue's example", `{"name":"Checkout down","selector":{"service_ids":["svc_1"]},"statuses":["down","Degraded"],"for":"2m","severity":"critical","labels":{"team":"payments"},"include_slo_events":false}`,
			[]string{"name", "selector", "statuses", "for", "severity", "labels", "include_slo_events"}, 0},
		{"zero durations", `{"group_wait":"0s","repeat_interval":"0s"}`, []string{"group_wait", "repeat_interval"}, 0},
		{"a bad duration", `{"for":"two minutes"}`, nil, http.StatusUnprocessableEntity},
		{"a negative duration", `{"for":"-1m"}`, nil, http.StatusUnprocessableEntity},
		{"a bad status", `{"statuses":["broken"]}`, nil, http.StatusUnprocessableEntity},
		{"a bad severity", `{"severity":"urgent"}`, nil, http.StatusUnprocessableEntity},
		{"null", `{"for":null}`, nil, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b ruleBody
			if err := json.Unmarshal([]byte(tt.body), &b); err != nil {
				t.Fatal(err)
			}
			spec, fields, err := b.spec()
			if tt.status != 0 {
				var he *httpx.Error
				if !errors.As(err, &he) || he.Status != tt.status {
					t.Fatalf("spec() error = %v, want %d", err, tt.status)
				}
				return
			}
			if err != nil || !slices.Equal(fields, tt.fields) {
				t.Fatalf("spec() = %v, %v, %v", spec, fields, err)
			}
			if tt.name == "the issue's example" && (spec.GetFor().AsDuration() != 2*time.Minute || spec.GetSeverity() != alertingv1.Severity_SEVERITY_CRITICAL ||
				!slices.Equal(spec.GetStatuses(), []statusv1.Status{statusv1.Status_STATUS_DOWN, statusv1.Status_STATUS_DEGRADED})) {
				t.Fatalf("spec = %v", spec)
			}
		})
	}
}
