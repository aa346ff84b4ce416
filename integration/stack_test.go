package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/pkg/tracing"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	edge "github.com/upstatehq/upstate/services/edge/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	notification "github.com/upstatehq/upstate/services/notification/app"
	status "github.com/upstatehq/upstate/services/status/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const bootstrapKey = "ak_live_integration_test_key_0123456789abcdef"

// stack is upstate's services (status, incidents, edge, gateway) running
// in-process over real Postgres, NATS, gRPC and HTTP, assembled by the same
// code as bin/upstate.
type stack struct {
	t       *testing.T
	baseURL string
	dsn     string
	natsURL string
	host    *service.Host
	cfg     standalone.Config
	svc     *standalone.Services
	// clock is the services' clock when the test moves it (nil: the wall
	// clock).
	clock *clockwork.FakeClock
	nc    *nats.Conn
	js    jetstream.JetStream
	// natsSrv is the NATS server, on natsPort with its store in natsDir,
	// taking natsUsers.
	natsSrv   *natsd.Server
	natsPort  int
	natsDir   string
	natsUsers []natsd.User
}

func startStack(t *testing.T) *stack { return startStackWith(t, nil, nil) }

// startStackAt starts the stack on clock (nil: the wall clock).
func startStackAt(t *testing.T, clock *clockwork.FakeClock) *stack {
	return startStackWith(t, clock, nil)
}

// startStackWith starts the stack on clock (nil: the wall clock), with
// the services' settings edited by edit (when not nil).
func startStackWith(t *testing.T, clock *clockwork.FakeClock, edit func(*standalone.Config)) *stack {
	t.Helper()
	return startStackTraced(t, clock, edit, nil)
}

// startStackTraced is startStackWith with the services traced by tr
// (nil: tracing off, as without an OTLP endpoint).
func startStackTraced(t *testing.T, clock *clockwork.FakeClock, edit func(*standalone.Config), tr *tracing.Tracing) *stack {
	t.Helper()
	s := &stack{t: t, dsn: testenv.NewDatabase(t), clock: clock}
	// NATS as bin/upstate embeds it: each service its own user, allowed
	// only what it uses, and the test an administrator.
	users, auths, err := standalone.NATSUsers("", "")
	if err != nil {
		t.Fatal(err)
	}
	all := &natsd.Subjects{Allow: []string{">"}}
	s.natsUsers = append(users, natsd.User{Name: adminUser, Password: adminPassword, Publish: all, Subscribe: all})
	s.startNATS()
	s.nc, s.js = connectAs(t, s.natsURL, bus.Auth{User: adminUser, Password: adminPassword})
	var c clockwork.Clock
	if clock != nil {
		c = clock
	}
	s.host = servicetest.NewHost(t, service.Env{DatabaseURL: s.dsn, NATSURL: s.natsURL, NATSUsers: auths, Tracing: tr}, c)
	s.cfg = standalone.Config{
		StatusGRPCAddr: "127.0.0.1:0", IncidentsGRPCAddr: "127.0.0.1:0",
		SLAGRPCAddr: "127.0.0.1:0", AlertingGRPCAddr: "127.0.0.1:0", StatusPageGRPCAddr: "127.0.0.1:0",
		NotificationGRPCAddr: "127.0.0.1:0",
		Incidents:            incidents.Config{SchedulerInterval: 100 * time.Millisecond},
		Alerting:             alerting.Config{SchedulerInterval: 100 * time.Millisecond},
		StatusPage:           statuspage.Config{DeliveryPoll: 100 * time.Millisecond, ChangeDelay: 100 * time.Millisecond},
		// Subscribers and channels are the test's servers on the loopback.
		Notification: notification.Config{AllowPrivate: "127.0.0.0/8,::1/128", Concurrency: 8, EscalationInterval: 100 * time.Millisecond},
		Edge:         edge.Config{BootstrapAPIKey: bootstrapKey},
	}
	if edit != nil {
		edit(&s.cfg)
	}
	svc, err := standalone.Start(context.Background(), s.host, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	addr, err := s.host.ServeHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.baseURL = "http://" + addr.String()
	return s
}

// startNATS starts the stack's NATS server, keeping its port and store so
// that restartNATS brings back the same server.
func (s *stack) startNATS() {
	s.t.Helper()
	if s.natsDir == "" {
		// A port outside the ephemeral range, which the services' own
		// connections cannot take while the server restarts on it.
		s.natsDir, s.natsPort = s.t.TempDir(), freePort(s.t)
	}
	srv, err := natsd.Start(natsd.Config{Port: s.natsPort, StoreDir: s.natsDir, Users: s.natsUsers})
	if err != nil {
		s.t.Fatalf("start nats: %v", err)
	}
	first := s.natsSrv == nil
	s.natsSrv, s.natsURL = srv, srv.ClientURL()
	u, err := url.Parse(s.natsURL)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.natsPort, err = strconv.Atoi(u.Port()); err != nil {
		s.t.Fatal(err)
	}
	if first {
		// Registered before the services' stops, so it runs after them,
		// whichever server is current by then.
		s.t.Cleanup(func() { s.natsSrv.Shutdown() })
	}
}

// restartNATS stops the NATS server and starts it again on the same port
// and store; the services' connections reconnect by themselves.
func (s *stack) restartNATS() {
	s.t.Helper()
	s.natsSrv.Shutdown()
	s.startNATS()
}

// The in-process stack's NATS administrator.
const adminUser, adminPassword = "admin", "admin"

func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return connectAs(t, url, bus.Auth{})
}

func connectAs(t *testing.T, url string, auth bus.Auth) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := bus.ConnectAs(context.Background(), url, bus.Client{Name: "integration-test", Auth: auth}, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, js
}

// stopIncidents stops the incidents service as a SIGTERM would.
func (s *stack) stopIncidents() {
	s.t.Helper()
	stopUnit(s.t, s.svc.Incidents)
}

// startIncidents starts the incidents service again, after stopIncidents,
// on the address it had, so the edge's connection finds it again.
func (s *stack) startIncidents() {
	s.t.Helper()
	u := incidents.Unit(s.cfg.Incidents, s.svc.Incidents.GRPCAddr(), s.svc.Status.GRPCAddr())
	r, err := s.host.Start(context.Background(), u)
	if err != nil {
		s.t.Fatal(err)
	}
	s.svc.Incidents = r
}

// restartStatus stops the status service and starts a new one on the same
// gRPC address, as a new process would.
func (s *stack) restartStatus() {
	s.t.Helper()
	stopUnit(s.t, s.svc.Status)
	s.startStatus()
}

// startStatus starts the status service again, after it was stopped, on
// the address it had.
func (s *stack) startStatus() {
	s.t.Helper()
	r, err := s.host.Start(context.Background(), status.Unit(s.cfg.Status, s.svc.Status.GRPCAddr()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.svc.Status = r
}

func stopUnit(t *testing.T, r *service.Running) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// newOrg creates another organisation and returns a key of it.
func (s *stack) newOrg(scopes ...string) string {
	s.t.Helper()
	_, secret, err := s.svc.Edge.Service().(*edge.App).CreateOrg(context.Background(), "other", scopes)
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// response is a decoded HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.Status, r.Body)
	}
	return m
}

// errorCode returns error.code of an error envelope.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil || e["code"] == "" || e["message"] == "" {
		t.Fatalf("response %d has no error envelope: %s", r.Status, r.Body)
	}
	code, _ := e["code"].(string)
	return code
}

// do sends a request with a JSON body (string, or marshalled) and key.
func (s *stack) do(method, path, key string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.baseURL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return send(s.t, req)
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// createService creates a service and returns its id. When the stack
// has a NATS connection it returns once the STATUS stream holds the
// service's creation, so that a watch started afterwards sees only what
// follows.
func (s *stack) createService(key, name string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/services", key, map[string]any{"name": name})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create service: %d %s", r.Status, r.Body)
	}
	id := r.json(s.t)["id"].(string)
	if s.js != nil {
		testenv.Eventually(s.t, 10*time.Second, func() error {
			st, err := s.js.Stream(context.Background(), bus.StreamStatus)
			if err != nil {
				return err
			}
			info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("upstate.status.*."+id))
			if err != nil {
				return err
			}
			if len(info.State.Subjects) == 0 {
				return fmt.Errorf("the creation of %s is not on STATUS yet", id)
			}
			return nil
		})
	}
	return id
}

// watcher reads the events STATUS stores from its start on, as a consumer
// would: a republished copy is never seen twice.
type watcher struct {
	t *testing.T
	w *testenv.Watcher
}

func (s *stack) watchStatus() *watcher {
	s.t.Helper()
	return &watcher{t: s.t, w: testenv.Watch(s.t, s.js, bus.StreamStatus)}
}

// next waits for the next event, which must be a StatusChanged.
func (w *watcher) next() (*statusv1.StatusChanged, jetstream.Msg) {
	w.t.Helper()
	var ev statusv1.StatusChanged
	return &ev, w.nextOf(&ev)
}

// nextOf waits for the next event, which must be of m's type (its ce-type
// is the message's full name), and decodes it into m.
func (w *watcher) nextOf(m proto.Message) jetstream.Msg {
	w.t.Helper()
	msg := w.w.Next(10 * time.Second)
	want := string(m.ProtoReflect().Descriptor().FullName())
	if got := msg.Headers().Get(bus.HeaderCEType); got != want {
		w.t.Fatalf("next event on %s is a %s, want a %s", msg.Subject(), got, want)
	}
	if err := proto.Unmarshal(msg.Data(), m); err != nil {
		w.t.Fatal(err)
	}
	return msg
}

// none asserts no event arrives within d.
func (w *watcher) none(d time.Duration) {
	w.t.Helper()
	w.w.None(d)
}

// count runs a counting query against the shared database.
func (s *stack) count(query string, args ...any) int {
	s.t.Helper()
	pool, err := pgdb.Open(context.Background(), s.dsn, "test", 1, logging.Discard())
	if err != nil {
		s.t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}
