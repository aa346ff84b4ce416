package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
)

// fakeReceivers is the status service's ReceiverService as the gateway sees
// it: canned receivers by token. It is a stand-in for another service's
// API, served over real gRPC.
type fakeReceivers struct {
	statusv1.UnimplementedReceiverServiceServer
	mu        sync.Mutex
	byToken   map[string]*statusv1.Receiver
	calls     atomic.Int64
	unblocked chan struct{} // when set, calls wait until it is closed
}

func (f *fakeReceivers) ResolveReceiver(ctx context.Context, req *statusv1.ResolveReceiverRequest) (*statusv1.ResolveReceiverResponse, error) {
	f.calls.Add(1)
	f.mu.Lock()
	r, ok := f.byToken[req.GetToken()]
	block := f.unblocked
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if !ok {
		return nil, status.Error(codes.NotFound, "no receiver has this token")
	}
	return &statusv1.ResolveReceiverResponse{Receiver: proto.Clone(r).(*statusv1.Receiver)}, nil
}

// set adds or replaces the receiver of token.
func (f *fakeReceivers) set(token string, r *statusv1.Receiver) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byToken[token] = proto.Clone(r).(*statusv1.Receiver)
}

// env is a gateway on an embedded NATS server, in front of a fake status
// service, behind the shared echo set-up. Its clock stands still until a
// test moves it (nil when the gateway runs on another clock).
type env struct {
	t        testing.TB
	clock    *clockwork.FakeClock
	nc       *nats.Conn
	js       jetstream.JetStream
	echo     *echo.Echo
	gw       *app.App
	status   *fakeReceivers
	grpc     *grpc.Server
	logs     *testenv.LogBuffer
	registry *prometheus.Registry
}

func newEnv(t testing.TB, cfg app.Config) *env {
	t.Helper()
	clock := clockwork.NewFakeClock()
	e := newEnvOn(t, cfg, clock)
	e.clock = clock
	return e
}

// newEnvOn is newEnv on the given clock; nil leaves the gateway's default.
func newEnvOn(t testing.TB, cfg app.Config, clock clockwork.Clock) *env {
	t.Helper()
	srv := testenv.StartNATS(t)
	ctx := context.Background()
	logs := &testenv.LogBuffer{}
	logger := logging.New(logs, logging.Options{Level: "debug", Format: "json"})
	nc, js, err := bus.Connect(ctx, srv.ClientURL(), "gateway-test", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)

	fake := &fakeReceivers{byToken: map[string]*statusv1.Receiver{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	statusv1.RegisterReceiverServiceServer(gs, fake)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpcx.Dial(lis.Addr().String(), grpcx.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	reg := prometheus.NewRegistry()
	gw := app.New(cfg, app.Deps{StatusConn: conn, NC: nc, JS: js, Logger: logger, Registry: reg, Clock: clock})
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := gw.Stop(context.Background()); err != nil {
			t.Errorf("stop gateway: %v", err)
		}
	})
	// The access log's budget for refused requests goes by the test's clock.
	e := httpx.NewEcho(logger, reg, httpx.Options{RedactPath: app.RedactPath, Clock: clock})
	gw.RegisterHTTP(e)
	return &env{t: t, nc: nc, js: js, echo: e, gw: gw, status: fake, grpc: gs, logs: logs, registry: reg}
}

// receiver returns a new token and an enabled receiver for it, with a
// fixed target service, registered with the fake status service.
func (e *env) receiver(name string, edit func(*statusv1.Receiver)) (string, *statusv1.Receiver) {
	token := tokenFor(e.t.Name() + "/" + name)
	r := &statusv1.Receiver{
		Id:          "whr_" + name,
		OrgId:       "org_test",
		Name:        name,
		Enabled:     true,
		ServiceId:   "svc_api",
		StatusField: "status",
	}
	if edit != nil {
		edit(r)
	}
	e.status.set(token, r)
	return token, r
}

// tokenFor makes a deterministic 64-hex-character token.
func tokenFor(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// request is a delivery to send.
type request struct {
	token  string
	body   string
	header http.Header
	query  string
	remote string
}

func (e *env) do(r request) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.doChunked(r, false)
}

// doChunked sends r; chunked hides the body's length, as a streaming
// sender does, so only reading it finds it too large.
func (e *env) doChunked(r request, chunked bool) *httptest.ResponseRecorder {
	e.t.Helper()
	target := "/api/webhooks/incoming/" + r.token
	if r.query != "" {
		target += "?" + r.query
	}
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	if chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	rec := httptest.NewRecorder()
	e.echo.ServeHTTP(rec, req)
	return rec
}

func (e *env) post(token, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(request{token: token, body: body})
}

// ingested returns the messages on the INGEST stream, oldest first.
func (e *env) ingested() []*jetstream.RawStreamMsg {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, bus.StreamIngest)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// onlyEvent returns the one IngestEvent on the stream, failing otherwise.
func (e *env) onlyEvent() (*ingestv1.IngestEvent, *jetstream.RawStreamMsg) {
	e.t.Helper()
	msgs := e.ingested()
	if len(msgs) != 1 {
		e.t.Fatalf("INGEST holds %d messages, want 1", len(msgs))
	}
	var ev ingestv1.IngestEvent
	if err := proto.Unmarshal(msgs[0].Data, &ev); err != nil {
		e.t.Fatal(err)
	}
	return &ev, msgs[0]
}

// metric returns the value of gateway_webhook_deliveries_total{result}.
func (e *env) deliveries(result string) float64 {
	e.t.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gateway_webhook_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// counter sums the counter called name over its labels.
func (e *env) counter(name string) int {
	e.t.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return int(n)
}

// decode reads a JSON response body.
func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// errorBody is the REST error envelope.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantStatus fails unless rec has the status code.
func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d, want %d; body %s", rec.Code, code, rec.Body.String())
	}
}

// wantError fails unless rec is the error envelope with status and code.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, code int, errCode string) errorBody {
	t.Helper()
	wantStatus(t, rec, code)
	b := decode[errorBody](t, rec)
	if b.Error.Code != errCode {
		t.Fatalf("error code %q, want %q; body %s", b.Error.Code, errCode, rec.Body.String())
	}
	return b
}

// prefixes parses CIDRs.
func prefixes(t testing.TB, cidrs ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
