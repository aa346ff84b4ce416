package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// The CI/CD one-liner: `status set API down -m db` finds the service by
// name, changes its status, and the change is in its history and on the
// STATUS stream, which `events tail` prints as JSON.
func TestStatusSetByNameAndTail(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService("API")
	s.awaitStatusEvents(id, 1)

	// A live tail: only events published after it started.
	env := s.env()
	env.vars["UPSTATE_NATS_URL"] = s.natsURL
	before := s.consumers(bus.StreamStatus)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, wait := s.background(ctx, env, "events", "tail", "--count", "1")
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := s.consumers(bus.StreamStatus); n <= before {
			return fmt.Errorf("events tail has no consumer on STATUS yet (%d consumers; output: %s)", n, out.String())
		}
		return nil
	})

	set := s.mustRun("status", "set", "API", "down", "-m", "db", "-o", "json").object(t)
	if set["id"] != id || set["status"] != "down" || set["status_description"] != "db" {
		t.Fatalf("status set answered %v", set)
	}
	got := s.mustRun("services", "get", id, "-o", "json").object(t)
	if got["status"] != "down" {
		t.Fatalf("after status set, the service is %v", got["status"])
	}
	var history []map[string]any
	s.mustRun("history", "api", "-o", "json").json(t, &history)
	if len(history) != 1 || history[0]["status"] != "down" || history[0]["previous_status"] != "operational" ||
		history[0]["description"] != "db" || history[0]["source"] != "api" {
		t.Fatalf("history = %v", history)
	}

	r := wait()
	if r.code != ExitOK {
		t.Fatalf("events tail: exit %d: %s", r.code, r.stderr)
	}
	var ev struct {
		Stream, Subject, Type string
		Seq                   uint64
		Time                  time.Time
		Event                 struct {
			ServiceID        string `json:"service_id"`
			Previous, Status string
			Description      string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil {
		t.Fatalf("events tail printed %q: %v", r.stdout, err)
	}
	if ev.Stream != "STATUS" || ev.Type != "upstate.status.v1.StatusChanged" || !strings.HasSuffix(ev.Subject, "."+id) ||
		ev.Seq == 0 || ev.Time.IsZero() || ev.Event.ServiceID != id || ev.Event.Status != "STATUS_DOWN" ||
		ev.Event.Previous != "STATUS_OPERATIONAL" || ev.Event.Description != "db" {
		t.Fatalf("events tail printed %s", r.stdout)
	}
}

// --since reads what the streams stored, STATUS and INCIDENTS both; a
// subject filter keeps one stream's events.
func TestEventsTailSince(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService("Checkout")
	s.mustRun("status", "set", "Checkout", "degraded")
	s.mustRun("incidents", "open", "Slow checkout", "--service", "Checkout", "--severity", "minor")

	env := s.env()
	env.vars["UPSTATE_NATS_URL"] = s.natsURL
	r := s.runWith(context.Background(), env, "events", "tail", "--since", "1h", "--count", "3")
	if r.code != ExitOK {
		t.Fatalf("events tail: exit %d: %s", r.code, r.stderr)
	}
	types := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct{ Stream, Type string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		types[ev.Type] = ev.Stream
	}
	want := map[string]string{
		"upstate.status.v1.ServiceCreated":    "STATUS",
		"upstate.status.v1.StatusChanged":     "STATUS",
		"upstate.incidents.v1.IncidentOpened": "INCIDENTS",
	}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events tail --since 1h printed %v, want %v:\n%s", types, want, r.stdout)
	}

	r = s.runWith(context.Background(), env, "events", "tail", "--since", "1h", "--count", "2", "--subject", "upstate.status.*."+id)
	if r.code != ExitOK || strings.Contains(r.stdout, "INCIDENTS") || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("events tail --subject: exit %d, output:\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r := s.runWith(context.Background(), env, "events", "tail", "--subject", "upstate.ingest.>"); r.code != ExitUsage ||
		!strings.Contains(r.stderr, "no stream holds the subject") {
		t.Fatalf("a subject on no stream: exit %d: %s", r.code, r.stderr)
	}
	// Without the reader's password the server refuses the connection.
	env.vars["UPSTATE_NATS_URL"] = strings.Replace(s.natsURL, readerPassword, "wrong", 1)
	if r := s.runWith(context.Background(), env, "events", "tail", "--count", "1"); r.code != ExitError ||
		!strings.Contains(r.stderr, "connect to NATS") {
		t.Fatalf("wrong NATS password: exit %d: %s", r.code, r.stderr)
	}
}
