package audit

import "testing"

func TestDescribeNamesWriteRoutes(t *testing.T) {
	for _, tt := range []struct {
		method, route string
		want          Target
	}{
		{"POST", "/api/v1/services", Target{"service.create", "service", ""}},
		{"PATCH", "/api/v1/services/:id", Target{"service.update", "service", "id"}},
		{"PUT", "/api/v1/services/:id", Target{"service.set_status", "service", "id"}},
		{"DELETE", "/api/v1/services/:id", Target{"service.delete", "service", "id"}},
		{"PUT", "/api/v1/services/:id/dependencies", Target{"service.set_dependencies", "service", "id"}},
		{"POST", "/api/v1/webhook-receivers/:id/rotate-token", Target{"webhook_receiver.rotate_token", "webhook_receiver", "id"}},
		{"POST", "/api/v1/incidents/:id/updates", Target{"incident.add_update", "incident", "id"}},
		{"POST", "/api/v1/alerts/:id/ack", Target{"alert.ack", "alert", "id"}},
		{"DELETE", "/api/v1/status-pages/:id/subscribers/:subscriber_id", Target{"subscriber.delete", "subscriber", "subscriber_id"}},
		{"POST", "/api/v1/api-keys", Target{"api_key.create", "api_key", ""}},
		{"DELETE", "/api/v1/api-keys/:id", Target{"api_key.revoke", "api_key", "id"}},
		{"PATCH", "/v1/pages/:page_id/components/:component_id", Target{"component.update", "component", "component_id"}},
		{"POST", "/v1/pages/:page_id/incidents", Target{"incident.create", "incident", ""}},
		{"PATCH", "/v1/pages/:page_id/incidents/:incident_id", Target{"incident.update", "incident", "incident_id"}},
		// A route added later is named without being listed anywhere.
		{"POST", "/api/v1/escalation-policies", Target{"escalation_policy.create", "escalation_policy", ""}},
		{"POST", "/api/v1/teams/:id/members", Target{"member.create", "member", ""}},
		{"POST", "/api/v1/schedules/:id/override", Target{"schedule.override", "schedule", "id"}},
	} {
		if got := Describe(tt.method, tt.route); got != tt.want {
			t.Errorf("Describe(%s %s) = %+v, want %+v", tt.method, tt.route, got, tt.want)
		}
	}
}
