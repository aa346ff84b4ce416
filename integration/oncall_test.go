package integration

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

const (
	chnAda   = "chn_01jz00000000000000000000a1"
	chnGrace = "chn_01jz00000000000000000000b1"
	chnOps   = "chn_01jz00000000000000000000c1"
)

// created posts body to path and returns the new record's id, failing
// unless the answer is 201.
func (s *stack) created(path, key string, body any) string {
	s.t.Helper()
	r := s.do(http.MethodPost, path, key, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("POST %s = %d %s", path, r.Status, r.Body)
	}
	id, _ := r.json(s.t)["id"].(string)
	return id
}

// wantError fails unless r is an error envelope with status and a message
// holding mentions.
func wantError(t *testing.T, r response, status int, mentions string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	r.errorCode(t)
	if !strings.Contains(string(r.Body), mentions) {
		t.Errorf("error %s does not mention %q", r.Body, mentions)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// People, a schedule with an override, a policy and a route over REST:
// validation, who is on call (across the Berlin DST change), shifts, the
// iCal export, deletions that another record blocks, the scopes, and the
// policy's targets resolved over gRPC.
func TestOnCallOverREST(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	key := bootstrapKey

	wantError(t, s.do(http.MethodPost, "/api/v1/users", key, `{"name":"Ada","email":"ada@example.com","time_zone":"Mars/Olympus"}`),
		http.StatusUnprocessableEntity, "time_zone")
	wantError(t, s.do(http.MethodPost, "/api/v1/users", key, `{"name":"Ada","email":"ada@example.com","channel_ids":["slack"]}`),
		http.StatusUnprocessableEntity, "channel_ids[0]")
	ada := s.created("/api/v1/users", key, map[string]any{"name": "Ada", "email": "ada@example.com", "time_zone": "Europe/Berlin",
		"slack_member_id": "U024BE7LH", "phone": "+4915112345678", "channel_ids": []string{chnAda}})
	grace := s.created("/api/v1/users", key, map[string]any{"name": "Grace", "email": "grace@example.com", "channel_ids": []string{chnGrace, chnOps}})
	wantError(t, s.do(http.MethodPost, "/api/v1/users", key, `{"name":"Ada again","email":"ADA@example.com"}`), http.StatusConflict, "ADA@example.com")

	u := s.do(http.MethodGet, "/api/v1/users/"+ada, key, nil).json(t)
	if u["time_zone"] != "Europe/Berlin" || u["slack_member_id"] != "U024BE7LH" || !slices.Equal(strs(u["channel_ids"]), []string{chnAda}) {
		t.Errorf("user = %v", u)
	}
	orgID, _ := u["org_id"].(string)
	if r := s.do(http.MethodPatch, "/api/v1/users/"+grace, key, `{"phone":"+33612345678"}`); r.Status != http.StatusOK || r.json(t)["phone"] != "+33612345678" {
		t.Errorf("PATCH user = %d %s", r.Status, r.Body)
	}
	team := s.created("/api/v1/teams", key, map[string]any{"name": "SRE", "member_ids": []string{ada, grace}})
	if r := s.do(http.MethodPatch, "/api/v1/teams/"+team, key, `{"name":"Platform"}`); r.Status != http.StatusOK ||
		r.json(t)["name"] != "Platform" || !slices.Equal(strs(r.json(t)["member_ids"]), []string{ada, grace}) {
		t.Errorf("PATCH team = %d %s", r.Status, r.Body)
	}
	s.created("/api/v1/teams", key, map[string]any{"name": "SRE"})
	wantError(t, s.do(http.MethodPatch, "/api/v1/teams/"+team, key, `{"name":"sre"}`), http.StatusConflict, "already exists")
	wantError(t, s.do(http.MethodPost, "/api/v1/teams", key, `{"name":"Ghosts","member_ids":["usr_01jz0000000000000000000000"]}`),
		http.StatusUnprocessableEntity, "not found")

	// Daily hand-off at 09:00 Berlin time, across the change to winter
	// time on 25 October 2026 (09:00 is 07:00Z before it, 08:00Z after).
	sched := s.created("/api/v1/schedules", key, map[string]any{"name": "Primary", "time_zone": "Europe/Berlin", "layers": []map[string]any{{
		"name": "daily", "members": []string{ada, grace}, "start": "2026-10-24T09:00:00", "handoff": map[string]any{"every": 1, "unit": "day"},
	}}})
	if r := s.do(http.MethodPatch, "/api/v1/schedules/"+sched, key, `{"name":"Primary EU"}`); r.Status != http.StatusOK ||
		len(r.json(t)["layers"].([]any)) != 1 || r.json(t)["time_zone"] != "Europe/Berlin" {
		t.Errorf("PATCH schedule = %d %s", r.Status, r.Body)
	}
	wantError(t, s.do(http.MethodPatch, "/api/v1/schedules/"+sched, key, map[string]any{"layers": []map[string]any{{
		"members": []string{ada, "usr_01jz0000000000000000000000"}, "start": "2026-10-24T09:00:00", "handoff": map[string]any{"every": 1, "unit": "day"},
	}}}), http.StatusUnprocessableEntity, "layers.members")
	wantError(t, s.do(http.MethodPost, "/api/v1/schedules", key, map[string]any{"name": "Bad", "layers": []map[string]any{{
		"members": []string{ada}, "start": "2026-10-24T09:00:00", "handoff": map[string]any{"every": 1, "unit": "fortnight"},
	}}}), http.StatusUnprocessableEntity, "handoff.unit")
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2026-10-24T07:30:00Z", ada},   // Saturday 09:30 CEST: Ada's first day
		{"2026-10-25T07:30:00Z", ada},   // Sunday 08:30 CET: still Ada (hand-off at 09:00 CET = 08:00Z)
		{"2026-10-25T08:30:00Z", grace}, // Sunday 09:30 CET
		{"2026-10-26T08:30:00Z", ada},
	} {
		r := s.do(http.MethodGet, "/api/v1/schedules/"+sched+"/oncall?at="+tc.at, key, nil)
		if got := strs(r.json(t)["user_ids"]); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("on call at %s = %v, want %s", tc.at, got, tc.want)
		}
	}
	o := s.do(http.MethodPost, "/api/v1/schedules/"+sched+"/overrides", key, map[string]any{
		"user_id": grace, "from": "2026-10-26T12:00:00Z", "to": "2026-10-26T14:00:00Z"})
	if o.Status != http.StatusCreated {
		t.Fatalf("override = %d %s", o.Status, o.Body)
	}
	wantError(t, s.do(http.MethodPost, "/api/v1/schedules/"+sched+"/overrides", key, map[string]any{
		"user_id": grace, "from": "2026-10-26T14:00:00Z", "to": "2026-10-26T12:00:00Z"}), http.StatusUnprocessableEntity, "to")
	r := s.do(http.MethodGet, "/api/v1/schedules/"+sched+"/oncall?at=2026-10-26T13:00:00Z", key, nil).json(t)
	if got := strs(r["user_ids"]); !slices.Equal(got, []string{grace}) {
		t.Errorf("on call during the override = %v, want Grace", got)
	}
	shifts := s.do(http.MethodGet, "/api/v1/schedules/"+sched+"/shifts?from=2026-10-26T00:00:00Z&to=2026-10-27T00:00:00Z", key, nil).json(t)["data"].([]any)
	var got []string
	for _, sh := range shifts {
		m := sh.(map[string]any)
		got = append(got, m["start"].(string)+" "+m["layer"].(string)+" "+m["user_id"].(string))
	}
	want := []string{
		"2026-10-26T00:00:00Z daily " + grace, "2026-10-26T08:00:00Z daily " + ada, "2026-10-26T12:00:00Z override " + grace,
		"2026-10-26T14:00:00Z daily " + ada,
	}
	if !slices.Equal(got, want) {
		t.Errorf("shifts =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	wantError(t, s.do(http.MethodGet, "/api/v1/schedules/"+sched+"/shifts?from=2026-10-26T00:00:00Z", key, nil), http.StatusUnprocessableEntity, "to")

	cal := s.do(http.MethodGet, "/api/v1/schedules/"+sched+"/ical?from=2026-10-24T00:00:00Z&to=2026-10-27T00:00:00Z", key, nil)
	if cal.Status != http.StatusOK || !strings.HasPrefix(cal.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("ical = %d %s %s", cal.Status, cal.Header.Get("Content-Type"), cal.Body)
	}
	parsed, err := ics.ParseCalendar(bytes.NewReader(cal.Body))
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, cal.Body)
	}
	var summaries []string
	for _, e := range parsed.Events() {
		summaries = append(summaries, e.GetProperty(ics.ComponentPropertySummary).Value)
	}
	if len(summaries) < 4 || !slices.ContainsFunc(summaries, func(s string) bool { return strings.Contains(s, "Grace") }) {
		t.Errorf("calendar events %v: want the shifts, named after the users", summaries)
	}

	// Policies: validated, then their targets resolve over gRPC.
	wantError(t, s.do(http.MethodPost, "/api/v1/escalation-policies", key, map[string]any{"name": "Unordered", "steps": []map[string]any{
		{"after": "5m", "targets": []map[string]string{{"user_id": ada}}}, {"after": "1m", "targets": []map[string]string{{"user_id": ada}}},
	}}), http.StatusUnprocessableEntity, "steps[1].after")
	wantError(t, s.do(http.MethodPost, "/api/v1/escalation-policies", key, map[string]any{"name": "Two kinds", "steps": []map[string]any{
		{"after": "0s", "targets": []map[string]string{{"user_id": ada, "channel_id": chnOps}}},
	}}), http.StatusUnprocessableEntity, "steps[0].targets[0]")
	wantError(t, s.do(http.MethodPost, "/api/v1/escalation-policies", key, map[string]any{"name": "Ghost", "steps": []map[string]any{
		{"after": "0s", "targets": []map[string]string{{"schedule_id": "sch_01jz0000000000000000000000"}}},
	}}), http.StatusUnprocessableEntity, "schedule sch_01jz0000000000000000000000 not found")
	pol := s.created("/api/v1/escalation-policies", key, map[string]any{"name": "Default", "repeat": 1, "steps": []map[string]any{
		{"after": "0s", "targets": []map[string]string{{"schedule_id": sched}}},
		{"after": "5m", "targets": []map[string]string{{"channel_id": chnOps}, {"user_id": grace}}},
	}})
	p := s.do(http.MethodGet, "/api/v1/escalation-policies/"+pol, key, nil).json(t)
	if steps := p["steps"].([]any); len(steps) != 2 || steps[1].(map[string]any)["after"] != "5m" || p["repeat"] != float64(1) || p["version"] != float64(1) {
		t.Errorf("policy = %v", p)
	}
	for _, tc := range []struct {
		body    string
		version float64
	}{{`{"repeat":1}`, 1}, {`{"repeat":2}`, 2}} {
		r := s.do(http.MethodPatch, "/api/v1/escalation-policies/"+pol, key, tc.body)
		if m := r.json(t); r.Status != http.StatusOK || m["version"] != tc.version {
			t.Errorf("PATCH %s = %d %s; want version %v", tc.body, r.Status, r.Body, tc.version)
		}
	}
	wantError(t, s.do(http.MethodPatch, "/api/v1/escalation-policies/"+pol, key, `{}`), http.StatusUnprocessableEntity, "give at least one field")
	wantError(t, s.do(http.MethodPatch, "/api/v1/escalation-policies/"+pol, key, `{"name":null}`), http.StatusUnprocessableEntity, "name cannot be null")

	conn, err := s.host.Dial(s.svc.Notification.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	policies := notificationv1.NewEscalationPolicyServiceClient(conn)
	got2, err := policies.GetPolicy(context.Background(), &notificationv1.GetPolicyRequest{OrgId: orgID, PolicyId: pol})
	if err != nil || len(got2.GetPolicy().GetSpec().GetSteps()) != 2 {
		t.Fatalf("GetPolicy = %v, %v", got2, err)
	}
	var targets []*notificationv1.Target
	for _, st := range got2.GetPolicy().GetSpec().GetSteps() {
		targets = append(targets, st.GetTargets()...)
	}
	res, err := policies.ResolveTargets(context.Background(), &notificationv1.ResolveTargetsRequest{
		OrgId: orgID, Targets: targets, At: timestamppb.New(time.Date(2026, 10, 25, 7, 30, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.GetUserIds(), []string{ada, grace}) || !slices.Equal(res.GetChannelIds(), []string{chnAda, chnGrace, chnOps}) {
		t.Errorf("resolved users %v channels %v; want Ada (on call) and Grace, their channels and ops once", res.GetUserIds(), res.GetChannelIds())
	}

	// Routes select services as alert rules do.
	svc := s.createService(key, "Payments")
	route := s.created("/api/v1/routes", key, map[string]any{"name": "Payments", "events": []string{"incident.opened", "incident.resolved"},
		"services": map[string]any{"service_ids": []string{svc}}, "channel_ids": []string{chnOps}})
	wantError(t, s.do(http.MethodPost, "/api/v1/routes", key, map[string]any{"name": "Ghost", "events": []string{"incident.opened"},
		"services": map[string]any{"service_ids": []string{"svc_01jz0000000000000000000000"}}, "channel_ids": []string{chnOps}}),
		http.StatusUnprocessableEntity, "services.service_ids")
	wantError(t, s.do(http.MethodPatch, "/api/v1/routes/"+route, key, `{"events":["incident.exploded"]}`), http.StatusUnprocessableEntity, "events[0]")

	// Deletions another record blocks.
	wantError(t, s.do(http.MethodDelete, "/api/v1/users/"+ada, key, nil), http.StatusConflict, sched)
	wantError(t, s.do(http.MethodDelete, "/api/v1/users/"+grace, key, nil), http.StatusConflict, "remove them from it first")
	wantError(t, s.do(http.MethodDelete, "/api/v1/schedules/"+sched, key, nil), http.StatusConflict, pol)
	for _, path := range []string{"/api/v1/escalation-policies/" + pol, "/api/v1/schedules/" + sched, "/api/v1/users/" + grace, "/api/v1/routes/" + route} {
		if r := s.do(http.MethodDelete, path, key, nil); r.Status != http.StatusNoContent {
			t.Errorf("DELETE %s = %d %s", path, r.Status, r.Body)
		}
	}
	if m := s.do(http.MethodGet, "/api/v1/teams/"+team, key, nil).json(t); !slices.Equal(strs(m["member_ids"]), []string{ada}) {
		t.Errorf("team after Grace's deletion = %v", m)
	}

	// Scopes and tenants.
	reader := s.newOrg("oncall:read")
	if r := s.do(http.MethodGet, "/api/v1/users", reader, nil); r.Status != http.StatusOK || len(r.json(t)["data"].([]any)) != 0 {
		t.Errorf("another organisation's reader lists %d %s; want none", r.Status, r.Body)
	}
	wantError(t, s.do(http.MethodGet, "/api/v1/users/"+ada, reader, nil), http.StatusNotFound, "not found")
	wantError(t, s.do(http.MethodPost, "/api/v1/users", reader, `{"name":"Eve","email":"eve@example.com"}`), http.StatusForbidden, "oncall")
}
