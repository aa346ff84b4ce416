package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// People, a schedule and its overrides made with the tool answer who is
// on call; a policy takes its steps from flags and from a file.
func TestOnCall(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	ada := s.mustRun("users", "create", "Ada Lovelace", "--email", "ada@example.com", "--time-zone", "Europe/London", "-o", "json").object(t)
	adaID := ada["id"].(string)
	if !strings.HasPrefix(adaID, "usr_") || ada["email"] != "ada@example.com" {
		t.Fatalf("users create = %v", ada)
	}
	graceID := s.mustRun("users", "create", "Grace Hopper", "--email", "grace@example.com", "-o", "json").object(t)["id"].(string)
	if got := s.mustRun("users", "get", "GRACE@example.com", "-o", "json").object(t)["id"]; got != graceID {
		t.Fatalf("users get by email = %v, want %s", got, graceID)
	}
	team := s.mustRun("teams", "create", "SRE", "--member", "Ada Lovelace", "--member", graceID, "-o", "json").object(t)
	if fmt.Sprint(team["member_ids"]) != fmt.Sprint([]any{adaID, graceID}) {
		t.Fatalf("teams create = %v", team)
	}

	// A daily rotation of Ada alone, started two days ago.
	start := time.Now().UTC().Add(-48 * time.Hour).Format("2006-01-02T15:04:05")
	sch := s.mustRun("schedules", "create", "Primary", "--member", "ada@example.com", "--start", start, "--handoff", "1d", "-o", "json").object(t)
	schID := sch["id"].(string)
	if !strings.HasPrefix(schID, "sch_") || sch["time_zone"] != "UTC" {
		t.Fatalf("schedules create = %v", sch)
	}
	onCall := func() []any {
		t.Helper()
		return s.mustRun("schedules", "oncall", "Primary", "-o", "json").object(t)["user_ids"].([]any)
	}
	if got := onCall(); len(got) != 1 || got[0] != adaID {
		t.Fatalf("schedules oncall = %v, want Ada", got)
	}
	if r := s.mustRun("schedules", "oncall", "Primary", "-o", "table"); !strings.Contains(r.stdout, "Ada Lovelace") {
		t.Fatalf("schedules oncall table does not name Ada:\n%s", r.stdout)
	}
	if r := s.mustRun("schedules", "oncall", schID, "--at", "-72h", "-o", "table"); !strings.HasPrefix(r.stdout, "nobody is on call at ") {
		t.Fatalf("before the rotation starts: %q", r.stdout)
	}
	var shifts []map[string]any
	s.mustRun("schedules", "shifts", "Primary", "--from", "now", "--to", "48h", "-o", "json").json(t, &shifts)
	if len(shifts) == 0 || shifts[0]["user_id"] != adaID {
		t.Fatalf("schedules shifts = %v", shifts)
	}
	if r := s.mustRun("schedules", "ical", "Primary"); !strings.HasPrefix(r.stdout, "BEGIN:VCALENDAR") || !strings.Contains(r.stdout, "Ada Lovelace") {
		t.Fatalf("schedules ical wrote:\n%s", r.stdout)
	}

	// Grace covers for two hours.
	ovr := s.mustRun("overrides", "create", "Primary", "--user", "Grace Hopper", "--from", "now", "--to", "2h", "-o", "json").object(t)
	if got := onCall(); len(got) != 1 || got[0] != graceID {
		t.Fatalf("schedules oncall during the override = %v, want Grace", got)
	}
	var overrides []map[string]any
	s.mustRun("overrides", "list", "Primary", "-o", "json").json(t, &overrides)
	if len(overrides) != 1 || overrides[0]["id"] != ovr["id"] {
		t.Fatalf("overrides list = %v", overrides)
	}
	s.mustRun("overrides", "delete", "Primary", ovr["id"].(string))
	if got := onCall(); len(got) != 1 || got[0] != adaID {
		t.Fatalf("schedules oncall after deleting the override = %v, want Ada", got)
	}

	pol := s.mustRun("policies", "create", "Default", "--step", "0m:schedule=Primary", "--step", "5m:user=grace@example.com,schedule="+schID, "--repeat", "1", "-o", "json").object(t)
	steps := pol["steps"].([]any)
	if len(steps) != 2 || pol["repeat"] != float64(1) ||
		fmt.Sprint(steps[0]) != fmt.Sprintf("map[after:0s targets:[map[schedule_id:%s]]]", schID) ||
		fmt.Sprint(steps[1]) != fmt.Sprintf("map[after:5m targets:[map[user_id:%s] map[schedule_id:%s]]]", graceID, schID) {
		t.Fatalf("policies create = %v", pol)
	}
	env := s.env()
	env.stdin = fmt.Sprintf(`{"steps":[{"after":"0s","targets":[{"user_id":%q}]}]}`, adaID)
	r := s.runWith(t.Context(), env, "policies", "create", "From stdin", "-f", "-", "-o", "json")
	if r.code != ExitOK || r.object(t)["name"] != "From stdin" {
		t.Fatalf("policies create -f -: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	var policies []map[string]any
	s.mustRun("policies", "list", "-o", "json").json(t, &policies)
	if len(policies) != 2 {
		t.Fatalf("policies list = %v", policies)
	}

	// Ada is held by the schedule and the policies: the server's 409 is
	// an error (1); freed, she goes.
	if r := s.run("users", "delete", "ada@example.com"); r.code != ExitError || !strings.Contains(r.stderr, "HTTP 409") {
		t.Fatalf("users delete of a scheduled user: exit %d, %s", r.code, r.stderr)
	}
	s.mustRun("policies", "delete", "Default")
	s.mustRun("policies", "delete", "From stdin")
	s.mustRun("schedules", "delete", "Primary")
	s.mustRun("teams", "delete", "SRE")
	if r := s.mustRun("users", "delete", "ada@example.com"); !strings.Contains(r.stdout, "user "+adaID+" deleted") {
		t.Fatalf("users delete printed %q", r.stdout)
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"users", "get", "nobody@example.com"}, ExitNotFound},
		{[]string{"users", "get", "usr_01jdq00000000000000000000a"}, ExitNotFound},
		{[]string{"schedules", "oncall", "Primary"}, ExitNotFound},
		{[]string{"policies", "get", "Default"}, ExitNotFound},
		{[]string{"schedules", "create"}, ExitUsage},
		{[]string{"schedules", "create", "X", "--member", "Grace Hopper", "--start", start, "--handoff", "weekly"}, ExitUsage},
		{[]string{"schedules", "shifts", "X", "--from", "now"}, ExitUsage},
		{[]string{"schedules", "oncall", "X", "--at", "yesterday"}, ExitUsage},
		{[]string{"policies", "create", "X", "--step", "soon:schedule=X"}, ExitUsage},
		{[]string{"policies", "create", "X", "--step", "0m:team=SRE"}, ExitUsage},
		{[]string{"policies", "create", "X"}, ExitUsage},
		{[]string{"overrides", "create", "X", "--user", "Grace Hopper"}, ExitUsage},
		{[]string{"users", "create", "X"}, ExitUsage},
		{[]string{"teams", "frobnicate"}, ExitUsage},
	} {
		if r := s.run(tc.args...); r.code != tc.code {
			t.Errorf("upstatectl %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), r.code, tc.code, r.stderr)
		}
	}
}

// A webhook channel made with the tool shows its secret once and its URL
// masked after; a test message reaches a real server and its delivery
// shows in the notification history.
func TestChannelsAndNotifications(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	received := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- r.Header.Get("webhook-id")
	}))
	t.Cleanup(srv.Close)

	created := s.mustRun("channels", "create", "bot", "--type", "webhook", "--url", srv.URL+"/hooks/private-path", "-o", "json").object(t)
	chnID := created["id"].(string)
	if !strings.HasPrefix(chnID, "chn_") || !strings.HasPrefix(fmt.Sprint(created["secret"]), "whsec_") {
		t.Fatalf("channels create = %v", created)
	}
	got := s.mustRun("channels", "get", "bot", "-o", "json")
	if strings.Contains(got.stdout, "private-path") || strings.Contains(got.stdout, "whsec_") || got.object(t)["id"] != chnID {
		t.Fatalf("channels get shows credentials: %s", got.stdout)
	}
	if r := s.mustRun("channels", "list", "-o", "table"); !strings.Contains(r.stdout, "bot") || strings.Contains(r.stdout, "private-path") {
		t.Fatalf("channels list table:\n%s", r.stdout)
	}

	ntfID := s.mustRun("channels", "test", "bot", "-o", "json").object(t)["notification_id"].(string)
	select {
	case id := <-received:
		if id != ntfID {
			t.Fatalf("the server got webhook-id %q, want %s", id, ntfID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the test message did not reach the server within 20s")
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		var list []map[string]any
		s.mustRun("notifications", "list", "--channel", "bot", "--status", "delivered", "-o", "json").json(t, &list)
		if len(list) != 1 || list[0]["id"] != ntfID || list[0]["kind"] != "test" {
			return fmt.Errorf("notifications list --channel bot --status delivered = %v", list)
		}
		return nil
	})
	if n := s.mustRun("notifications", "get", ntfID, "-o", "json").object(t); len(n["attempts"].([]any)) != 1 {
		t.Fatalf("notifications get = %v", n)
	}
	if r := s.run("notifications", "retry", ntfID); r.code != ExitError || !strings.Contains(r.stderr, "HTTP 409") {
		t.Fatalf("retry of a delivered notification: exit %d, %s", r.code, r.stderr)
	}

	// Channels complete by name; API keys' scopes include the notification service's.
	if r := s.mustRun("__complete", "channels", "test", ""); !strings.Contains(r.stdout, "bot\t"+chnID) {
		t.Fatalf("completion of channels test:\n%s", r.stdout)
	}
	if r := s.mustRun("__complete", "keys", "create", "x", "--scope", ""); !strings.Contains(r.stdout, "oncall\n") || !strings.Contains(r.stdout, "oncall:read\n") {
		t.Fatalf("completion of --scope:\n%s", r.stdout)
	}

	s.mustRun("channels", "delete", "bot")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"channels", "get", "bot"}, ExitNotFound},
		{[]string{"channels", "test", chnID}, ExitNotFound},
		{[]string{"notifications", "get", "ntf_01jdq00000000000000000000a"}, ExitNotFound},
		{[]string{"notifications", "list", "--status", "lost"}, ExitError},
		{[]string{"channels", "create", "x", "--url", srv.URL}, ExitUsage},
		{[]string{"channels", "create", "x", "--type", "carrier-pigeon"}, ExitError},
		{[]string{"notifications", "retry"}, ExitUsage},
	} {
		if r := s.run(tc.args...); r.code != tc.code {
			t.Errorf("upstatectl %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), r.code, tc.code, r.stderr)
		}
	}
}
