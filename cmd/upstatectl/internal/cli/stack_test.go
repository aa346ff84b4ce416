package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	edge "github.com/upstatehq/upstate/services/edge/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	notification "github.com/upstatehq/upstate/services/notification/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const bootstrapKey = "ak_live_upstatectl_test_key_0123456789abcdef"

// The embedded NATS server's read-only reader, as bin/upstate makes it
// with UPSTATE_NATS_READER_USER: what events tail connects as.
const readerUser, readerPassword = "events", "reader-secret"

// stack is every upstate service in-process over real Postgres, NATS,
// gRPC and HTTP, assembled by the same code as bin/upstate.
type stack struct {
	t       *testing.T
	host    *service.Host
	cfg     standalone.Config
	svc     *standalone.Services
	baseURL string
	// natsURL carries the reader's credentials.
	natsURL string
	// configPath is the run's configuration file (none until written).
	configPath string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, configPath: filepath.Join(t.TempDir(), "upstatectl.yaml")}
	dsn := testenv.NewDatabase(t)
	users, auths, err := standalone.NATSUsers(readerUser, readerPassword)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsd.Start(natsd.Config{Port: -1, StoreDir: t.TempDir(), Users: users})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(srv.Shutdown) // after the services, registered below, have stopped
	s.natsURL = strings.Replace(srv.ClientURL(), "nats://", "nats://"+readerUser+":"+readerPassword+"@", 1)
	s.host = servicetest.NewHost(t, service.Env{DatabaseURL: dsn, NATSURL: srv.ClientURL(), NATSUsers: auths}, nil)
	s.cfg = standalone.Config{
		StatusGRPCAddr: "127.0.0.1:0", IncidentsGRPCAddr: "127.0.0.1:0",
		SLAGRPCAddr: "127.0.0.1:0", AlertingGRPCAddr: "127.0.0.1:0", StatusPageGRPCAddr: "127.0.0.1:0",
		NotificationGRPCAddr: "127.0.0.1:0",
		Incidents:            incidents.Config{SchedulerInterval: 100 * time.Millisecond},
		Alerting:             alerting.Config{SchedulerInterval: 100 * time.Millisecond},
		StatusPage:           statuspage.Config{DeliveryPoll: 100 * time.Millisecond, ChangeDelay: 100 * time.Millisecond},
		// Channels may post to the tests' own loopback servers.
		Notification: notification.Config{AllowPrivate: "127.0.0.0/8", Concurrency: 4},
		Edge:         edge.Config{BootstrapAPIKey: bootstrapKey},
	}
	if s.svc, err = standalone.Start(context.Background(), s.host, s.cfg); err != nil {
		t.Fatal(err)
	}
	addr, err := s.host.ServeHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.baseURL = "http://" + addr.String()
	return s
}

// result is what a run printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// json decodes the run's standard output.
func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not JSON (%v):\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
}

// object decodes the run's standard output as one JSON object.
func (r result) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// runEnv is a run's environment beyond its arguments.
type runEnv struct {
	vars     map[string]string
	clock    clockwork.Clock
	terminal bool
	stdin    string
}

// env returns the environment of a run against the stack with the
// bootstrap key: UPSTATE_URL, UPSTATE_API_KEY and the test's own
// configuration file.
func (s *stack) env() runEnv {
	return runEnv{vars: map[string]string{
		"UPSTATE_URL": s.baseURL, "UPSTATE_API_KEY": bootstrapKey, "UPSTATECTL_CONFIG": s.configPath,
	}}
}

// run runs upstatectl in-process with the stack's environment.
func (s *stack) run(args ...string) result {
	s.t.Helper()
	return s.runWith(context.Background(), s.env(), args...)
}

// mustRun runs upstatectl and fails the test unless it exits 0.
func (s *stack) mustRun(args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code != ExitOK {
		s.t.Fatalf("upstatectl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// runWith runs upstatectl in-process with env, within a bounded time.
func (s *stack) runWith(ctx context.Context, env runEnv, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	clock := env.clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	var stdout, stderr syncBuffer
	code := Run(ctx, args, Env{
		Stdin: strings.NewReader(env.stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env.vars[k] }, Terminal: env.terminal,
		Clock: clock, HTTP: &http.Client{Timeout: 30 * time.Second}, Version: "test",
	})
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// background runs upstatectl until it exits or ctx ends; its output so
// far is readable meanwhile, and wait returns the result.
func (s *stack) background(ctx context.Context, env runEnv, args ...string) (out *syncBuffer, wait func() result) {
	out = &syncBuffer{}
	var stderr syncBuffer
	done := make(chan int, 1)
	clock := env.clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	go func() {
		done <- Run(ctx, args, Env{
			Stdin: strings.NewReader(""), Stdout: out, Stderr: &stderr,
			Getenv: func(k string) string { return env.vars[k] }, Clock: clock,
			HTTP: &http.Client{Timeout: 30 * time.Second}, Version: "test",
		})
	}()
	return out, func() result {
		s.t.Helper()
		select {
		case code := <-done:
			return result{stdout: out.String(), stderr: stderr.String(), code: code}
		case <-time.After(30 * time.Second):
			s.t.Fatalf("upstatectl %s did not exit within 30s; output so far:\n%s\nstderr: %s", strings.Join(args, " "), out.String(), stderr.String())
			return result{}
		}
	}
}

// syncBuffer is a buffer written by a run and read by the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// createService creates a service with the tool and returns its id.
func (s *stack) createService(name string) string {
	s.t.Helper()
	return s.mustRun("services", "create", name, "-o", "json").object(s.t)["id"].(string)
}

// streamInfo reads a stream's state as the reader, counting the
// messages on subject.
func (s *stack) streamInfo(stream, subject string) *jetstream.StreamInfo {
	s.t.Helper()
	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		s.t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		s.t.Fatal(err)
	}
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		s.t.Fatal(err)
	}
	return info
}

// consumers is the number of consumers on a stream.
func (s *stack) consumers(stream string) int {
	s.t.Helper()
	return s.streamInfo(stream, "").State.Consumers
}

// awaitStatusEvents waits until STATUS holds n events of the service:
// the services publish through an outbox, after answering.
func (s *stack) awaitStatusEvents(id string, n uint64) {
	s.t.Helper()
	testenv.Eventually(s.t, 10*time.Second, func() error {
		var got uint64
		for _, c := range s.streamInfo(bus.StreamStatus, "upstate.status.*."+id).State.Subjects {
			got += c
		}
		if got < n {
			return fmt.Errorf("STATUS holds %d events of %s, want %d", got, id, n)
		}
		return nil
	})
}

// post posts body to url and returns the status.
func post(t *testing.T, url, body string) int {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}

// startIncidents starts the incidents service again, after it was
// stopped, on the address it had, so that the edge finds it again.
func (s *stack) startIncidents() {
	s.t.Helper()
	u := incidents.Unit(s.cfg.Incidents, s.svc.Incidents.GRPCAddr(), s.svc.Status.GRPCAddr())
	r, err := s.host.Start(context.Background(), u)
	if err != nil {
		s.t.Fatal(err)
	}
	s.svc.Incidents = r
}

// awaitReady waits until GET path answers 200: the edge reaches the
// service behind it again.
func (s *stack) awaitReady(path string) {
	s.t.Helper()
	testenv.Eventually(s.t, 20*time.Second, func() error {
		req, err := http.NewRequest(http.MethodGet, s.baseURL+"/api/v1"+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+bootstrapKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, res.StatusCode)
		}
		return nil
	})
}
