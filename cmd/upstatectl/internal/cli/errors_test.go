package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Exit codes scripts rely on, and errors shown as the server's message.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.createService("API")
	dup1 := s.mustRun("receivers", "create", "dup", "--service", "API", "-o", "json").object(t)["id"].(string)
	dup2 := s.mustRun("receivers", "create", "dup", "--service", "API", "-o", "json").object(t)["id"].(string)
	badKey := s.env()
	badKey.vars["UPSTATE_API_KEY"] = "ak_live_0000000000000000000000000000000000000000"
	noKey := s.env()
	delete(noKey.vars, "UPSTATE_API_KEY")
	for _, tc := range []struct {
		name   string
		env    *runEnv
		args   []string
		code   int
		stderr string
	}{
		{"unknown id", nil, []string{"services", "get", "svc_00000000000000000000000000"}, ExitNotFound, "(not_found, HTTP 404)"},
		{"unknown name", nil, []string{"status", "set", "Nope", "down"}, ExitNotFound, `no service named "Nope"`},
		{"unknown incident", nil, []string{"incidents", "resolve", "inc_00000000000000000000000000"}, ExitNotFound, "HTTP 404"},
		{"unknown receiver name", nil, []string{"receivers", "rotate", "Nope"}, ExitNotFound, `no receiver named "Nope"`},
		{"unknown receiver id", nil, []string{"receivers", "deliveries", "whr_00000000000000000000000000"}, ExitNotFound, "HTTP 404"},
		{"ambiguous receiver", nil, []string{"receivers", "deliveries", "DUP"}, ExitError, `receiver name "DUP" is ambiguous: it matches ` + dup1 + " (dup), " + dup2 + " (dup); give the id instead"},
		{"invalid status", nil, []string{"status", "set", "API", "sideways"}, ExitError, "(invalid_value, HTTP 422)"},
		{"bad key", &badKey, []string{"services", "list"}, ExitError, "(unauthorized, HTTP 401)"},
		{"no key", &noKey, []string{"services", "list"}, ExitUsage, "no API key"},
		{"missing argument", nil, []string{"status", "set", "API"}, ExitUsage, "takes 2 argument(s)"},
		{"unknown flag", nil, []string{"services", "list", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{"unknown command", nil, []string{"services", "frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"unknown top command", nil, []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"required flag", nil, []string{"keys", "create", "CI"}, ExitUsage, `required flag(s) "scope" not set`},
		{"bad output", nil, []string{"services", "list", "-o", "xml"}, ExitUsage, `invalid output format "xml"`},
		{"bad time", nil, []string{"maintenance", "schedule", "x", "--service", "API", "--start", "soon", "--duration", "1h"}, ExitUsage, `"soon" is neither`},
		{"unknown context", nil, []string{"config", "use-context", "nowhere"}, ExitNotFound, `no such context "nowhere"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := s.env()
			if tc.env != nil {
				env = *tc.env
			}
			r := s.runWith(context.Background(), env, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("upstatectl %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.stderr)
			}
			if !strings.HasPrefix(r.stderr, "Error: ") || r.stdout != "" {
				t.Fatalf("stdout %q, stderr %q: want the error alone, on stderr", r.stdout, r.stderr)
			}
		})
	}
}

// A 503 is retried after its Retry-After, on the tool's clock: the
// incidents service comes back during the wait and the command succeeds.
func TestRetryAfterUnavailable(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	stopUnit(t, s)

	clock := clockwork.NewFakeClock()
	env := s.env()
	env.clock = clock
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, wait := s.background(ctx, env, "incidents", "list", "-o", "json")
	waitCtx, waitCancel := context.WithTimeout(ctx, 20*time.Second)
	defer waitCancel()
	if err := clock.BlockUntilContext(waitCtx, 1); err != nil {
		t.Fatalf("incidents list does not wait to retry: %v", err)
	}
	s.startIncidents()
	s.awaitReady("/incidents")
	clock.Advance(rest503Wait)
	r := wait()
	if r.code != ExitOK || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("after the retry: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "(unavailable, HTTP 503); retrying in") {
		t.Fatalf("the retry was not announced: %q", r.stderr)
	}
}

// rest503Wait is at least the Retry-After the edge sends with a 503.
const rest503Wait = time.Minute

// Once the retries are spent, the 503 is the error; a POST is not
// retried at all.
func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	stopUnit(t, s)
	clock := clockwork.NewFakeClock()
	env := s.env()
	env.clock = clock
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, wait := s.background(ctx, env, "incidents", "list")
	for range 3 {
		waitCtx, waitCancel := context.WithTimeout(ctx, 20*time.Second)
		err := clock.BlockUntilContext(waitCtx, 1)
		waitCancel()
		if err != nil {
			t.Fatalf("incidents list does not wait to retry: %v", err)
		}
		clock.Advance(rest503Wait)
	}
	r := wait()
	if r.code != ExitError || strings.Count(r.stderr, "retrying in") != 3 || !strings.Contains(r.stderr, "Error: ") {
		t.Fatalf("exit %d, stderr %q; want exit 1 after 3 retries", r.code, r.stderr)
	}

	// A POST is not sent again after a 503: it may have been carried out.
	r = s.runWith(ctx, env, "incidents", "open", "Outage", "--severity", "minor")
	if r.code != ExitError || strings.Contains(r.stderr, "retrying") || !strings.Contains(r.stderr, "HTTP 503") {
		t.Fatalf("incidents open during the outage: exit %d, stderr %q; want exit 1 at once", r.code, r.stderr)
	}
}

// stopUnit stops the incidents service as a SIGTERM would.
func stopUnit(t *testing.T, s *stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.svc.Incidents.Stop(ctx); err != nil {
		t.Fatalf("stop incidents: %v", err)
	}
}
