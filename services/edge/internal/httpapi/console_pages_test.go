package httpapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// Every page renders, for a key that may do everything and for one that
// may only read, with empty data and with a row of each kind: a field a
// template names that its data lacks fails here, not in front of a person.
func TestConsolePagesRender(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	svc := serviceJSON{ID: "svc_1", Name: "API", Status: "down", StatusChangedAt: now}
	svcID, field := "svc_1", "name"
	rcv := receiverJSON{ID: "whr_1", Name: "ci", ServiceID: &svcID, StatusMapping: map[string]string{"crashed": "down"},
		Signature: &signatureJSON{Scheme: "hex"}, AutoIncident: autoIncidentJSON{Severity: "major"}, Token: "t", URL: "http://x/api/webhooks/incoming/t"}
	byName := rcv
	byName.ServiceID, byName.ServiceNameField, byName.Signature = nil, &field, nil
	dlv := deliveryJSON{ID: "dlv_1", ReceivedAt: now, Payload: payloadJSON([]byte(`{"status":"down"}`)), Result: "processed", RawStatus: "down", MappedStatus: "down"}
	inc := incidentJSON{ID: "inc_1", Title: "Slow", Status: "investigating", Severity: "major", ServiceIDs: []string{"svc_1"},
		Updates: []incidentUpdateJSON{{CreatedAt: now, Status: "investigating", Message: "m"}}}
	mnt := maintenanceJSON{ID: "mnt_1", Title: "Upgrade", Status: "scheduled", StartsAt: now, EndsAt: now.Add(time.Hour), ServiceIDs: []string{"svc_1"}}
	running := mnt
	running.Status = "in_progress"
	up := 0.999
	key := apiKeyJSON{ID: "key_1", Name: "ci", Prefix: "ak_live_abcd", Scopes: []auth.Scope{"read"}, CreatedAt: now, Key: "ak_live_secret"}
	ack := "key_1"
	usr := userJSON{ID: "usr_1", Name: "Ada", Email: "ada@example.com", TimeZone: "UTC", SlackMemberID: &ack}
	sched := scheduleJSON{ID: "sch_1", Name: "Primary", TimeZone: "UTC", Layers: []layerJSON{{Name: "week", Handoff: handoffJSON{Every: 1, Unit: "week"}}}}
	names := map[string]string{"usr_1": "Ada"}
	pol := policyJSON{ID: "esc_1", Name: "Default", Repeat: 1, Steps: []stepJSON{{After: "0s", Targets: []targetJSON{{ScheduleID: "sch_1"}, {UserID: "usr_1"}, {UserID: "usr_2"}, {ChannelID: "chn_1"}}}}}
	chn := channelJSON{ID: "chn_1", Name: "#ops", Type: "webhook", Config: channelConfigJSON{URL: "https://hooks.example/…"}, Secret: "whsec_x"}
	chnID := "chn_1"
	ntf := notificationJSON{ID: "ntf_1", ChannelID: &chnID, AlertID: &ack, Status: "dead", Kind: "trigger", Title: "API is down",
		Attempts: []attemptJSON{{At: now, StatusCode: 404, LatencyMS: 12, Error: "answered 404"}}}
	gone := ntf
	gone.ChannelID, gone.Status, gone.DeliveredAt = &svcID, "delivered", &now
	data := map[string][]any{
		"users":         {usersPage{}, usersPage{Users: list[userJSON]{Data: []userJSON{usr}, NextCursor: "n"}}},
		"schedules":     {schedulesPage{}, schedulesPage{Schedules: []scheduleRow{{Schedule: sched, OnCall: []string{"usr_1", "usr_2"}}, {Schedule: sched}}, Names: names, Next: "n"}},
		"schedule":      {schedulePage{Schedule: sched}, schedulePage{Schedule: sched, OnCall: []string{"usr_1"}, Shifts: []shiftJSON{{UserID: "usr_1", Start: now, End: now}}, Overrides: []overrideJSON{{ID: "ovr_1", ScheduleID: "sch_1", UserID: "usr_2"}}, Users: []userJSON{usr}, Names: names}},
		"policies":      {list[policyJSON]{}, list[policyJSON]{Data: []policyJSON{pol}, NextCursor: "n"}},
		"policy":        {policyPage{Policy: policyJSON{ID: "esc_1"}}, policyPage{Policy: pol, Names: names}},
		"channels":      {channelsPage{}, channelsPage{Channels: []channelJSON{chn}, Types: channelTypeChoices, Created: &chn, Next: "n"}},
		"notifications": {notificationsPage{}, notificationsPage{Notifications: []notificationJSON{ntf, gone}, Statuses: notificationStatusChoices, Status: "dead", Channels: map[string]string{"chn_1": "#ops"}, Next: "n"}},
		"login":         {nil},
		"error":         {"it failed"},
		"services":      {servicesPage{}, servicesPage{Services: []serviceJSON{svc}, Next: "n"}},
		"service":       {servicePage{Service: svc, Statuses: statusChoices}, servicePage{Service: svc, History: []changeJSON{{Status: "down", PreviousStatus: "operational", ChangedAt: now}}}},
		"receivers":     {receiversPage{Schemes: signatureSchemes}, receiversPage{Receivers: []receiverJSON{rcv, byName}, Services: []serviceJSON{svc}, Schemes: signatureSchemes, Names: map[string]string{"svc_1": "API"}}},
		"receiver":      {receiverPage{Receiver: rcv}, receiverPage{Receiver: byName, Deliveries: []deliveryJSON{dlv}, Services: []serviceJSON{svc}, Results: deliveryResults, Result: "processed"}},
		"token":         {tokenPage{Receiver: rcv, Created: true}, tokenPage{Receiver: rcv}},
		"incidents":     {incidentsPage{}, incidentsPage{Incidents: []incidentJSON{inc}, Services: []serviceJSON{svc}, Severities: severityChoices, Statuses: openIncidentChoices}},
		"incident":      {incidentPage{Incident: inc, Statuses: incidentChoices}},
		"maintenances":  {maintenancesPage{}, maintenancesPage{Maintenances: []maintenanceJSON{mnt}, Services: []serviceJSON{svc}}},
		"maintenance":   {maintenancePage{Maintenance: mnt}, maintenancePage{Maintenance: mnt, Services: []serviceJSON{svc}}, maintenancePage{Maintenance: running}},
		"apikeys":       {keysPage{}, keysPage{Keys: []apiKeyJSON{key}, Grantable: []auth.Scope{"read"}, Created: &key}},
		"statuspages":   {list[statusPageJSON]{}, list[statusPageJSON]{Data: []statusPageJSON{{ID: "pag_1", Name: "P", URL: "u", Components: []componentJSON{{Name: "API", Status: "down"}}}}}},
		"slos":          {slosPage{Window: "30d"}, slosPage{Window: "30d", Uptime: []uptimeJSON{{ServiceID: "svc_1", Uptime: &up}, {ServiceID: "svc_2"}}, SLOs: []sloJSON{{Name: "s"}}}},
		"alerts":        {alertsPage{}, alertsPage{Alerts: []alertJSON{{ID: "alt_1", State: "firing"}, {ID: "alt_2", State: "firing", AcknowledgedBy: &ack, AcknowledgedAt: &now}}}},
	}
	if len(data) != len(pages) {
		t.Errorf("%d pages, %d tested", len(pages), len(data))
	}
	for name, samples := range data {
		for _, scopes := range [][]auth.Scope{{auth.ScopeWrite}, {auth.ScopeRead}} {
			for i, d := range samples {
				var buf bytes.Buffer
				v := view{Title: name, CSRF: "token", P: auth.Principal{OrgID: "org_1", KeyID: "key_1", Scopes: scopes}, Data: d}
				if err := pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
					t.Errorf("page %s, sample %d, scopes %v: %v", name, i, scopes, err)
				}
			}
		}
	}
}
