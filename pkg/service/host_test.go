package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var migrations = fstest.MapFS{"0001_things.sql": {Data: []byte(`CREATE TABLE thing.things (id int PRIMARY KEY);`)}}

// thing is the smallest service with a database, a gRPC API and a route.
type thing struct {
	pool            *pgxpool.Pool
	started, stoped bool
	failStart       bool
}

func (s *thing) Start(context.Context) error {
	if s.failStart {
		return errors.New("refused")
	}
	s.started = true
	return nil
}
func (s *thing) Stop(context.Context) error { s.stoped = true; return nil }
func (s *thing) RegisterGRPC(*grpc.Server)  {}
func (s *thing) RegisterHTTP(e *echo.Echo) {
	e.GET("/things", func(c echo.Context) error {
		var n int
		err := s.pool.QueryRow(c.Request().Context(), `SELECT count(*) FROM thing.things`).Scan(&n)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, n)
	})
}

func unit(svc *thing) service.Unit {
	return service.Unit{Name: "thing", GRPCAddr: "127.0.0.1:0", Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, _, err := in.Conns(ctx, "thing", migrations)
		if err != nil {
			return nil, err
		}
		svc.pool = conns.Pool
		return svc, nil
	}}
}

func health(t *testing.T, addr string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, err := grpcx.Dial(addr, grpcx.Auth{}) // probes carry no credentials
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetStatus()
}

func ready(h *service.Host) int {
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code
}

// A unit runs as its binary runs it: migrated schema, routes and gRPC
// served; its gRPC health and /readyz follow its database, going
// NOT_SERVING while the database refuses connections and SERVING again
// after; Stop stops the service and closes what Build opened.
func TestUnitHealthFollowsItsDatabase(t *testing.T) {
	t.Parallel()
	dsn := testenv.NewDatabase(t)
	h := servicetest.NewHost(t, service.Env{DatabaseURL: dsn, NATSURL: testenv.StartNATS(t).ClientURL()}, nil)
	svc := &thing{}
	r, err := h.Start(context.Background(), unit(svc))
	if err != nil {
		t.Fatal(err)
	}
	if !svc.started {
		t.Fatal("service not started")
	}
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/things", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "0\n" {
		t.Fatalf("GET /things: %d %s", rec.Code, rec.Body)
	}
	if s := health(t, r.GRPCAddr()); s != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v, want SERVING", s)
	}

	// Lose the database: no new connections, the pool's cut.
	restore := testenv.RefuseConnections(t, dsn)
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := health(t, r.GRPCAddr()); s != healthpb.HealthCheckResponse_NOT_SERVING {
			return fmt.Errorf("health %v while the database is gone", s)
		}
		if c := ready(h); c != http.StatusServiceUnavailable {
			return fmt.Errorf("/readyz %d while the database is gone", c)
		}
		return nil
	})

	restore()
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := health(t, r.GRPCAddr()); s != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health %v after the database came back", s)
		}
		if c := ready(h); c != http.StatusOK {
			return fmt.Errorf("/readyz %d after the database came back", c)
		}
		return nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !svc.stoped {
		t.Fatal("service not stopped")
	}
	if err := svc.pool.Ping(ctx); err == nil {
		t.Fatal("the pool Build opened is still open after Stop")
	}
}

// A service that fails to start leaves nothing open behind it.
func TestFailedStartClosesWhatBuildOpened(t *testing.T) {
	t.Parallel()
	h := servicetest.NewHost(t, service.Env{DatabaseURL: testenv.NewDatabase(t), NATSURL: testenv.StartNATS(t).ClientURL()}, nil)
	svc := &thing{failStart: true}
	if _, err := h.Start(context.Background(), unit(svc)); err == nil {
		t.Fatal("start succeeded")
	}
	if err := svc.pool.Ping(context.Background()); err == nil {
		t.Fatal("the pool Build opened is still open after the failed start")
	}
	if c := ready(h); c != http.StatusOK {
		t.Fatalf("/readyz %d: a unit that never started must not count", c)
	}
}

// A unit without a database has nothing to say about one.
func TestUnitWithoutDatabaseURL(t *testing.T) {
	t.Parallel()
	h := servicetest.NewHost(t, service.Env{NATSURL: testenv.StartNATS(t).ClientURL()}, nil)
	_, err := h.Start(context.Background(), unit(&thing{}))
	if err == nil || err.Error() != "start thing: DATABASE_URL is required" {
		t.Fatalf("error %v", err)
	}
}

// idle is a service with nothing to serve.
type idle struct{}

func (idle) Start(context.Context) error { return nil }
func (idle) Stop(context.Context) error  { return nil }

// A unit that cannot recover by itself says so, and the process's
// liveness fails, naming it; before that, it is alive.
func TestUnitFatalFailsLiveness(t *testing.T) {
	t.Parallel()
	h := servicetest.NewHost(t, service.Env{}, nil)
	var infra *service.Infra
	_, err := h.Start(context.Background(), service.Unit{Name: "fragile", Build: func(_ context.Context, in *service.Infra) (service.Service, error) {
		infra = in
		return idle{}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	live := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec
	}
	if rec := live(); rec.Code != http.StatusOK {
		t.Fatalf("/healthz %d before any fatal condition", rec.Code)
	}
	infra.Fatal(errors.New("lost its lease for good"))
	if rec := live(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"fragile":"lost its lease for good"`) {
		t.Fatalf("/healthz %d %s after the unit gave up", rec.Code, rec.Body)
	}
}

// pinger is a unit with a gRPC API of one method, whose Build keeps a
// client of another unit's API made with Infra.Dial.
type pinger struct {
	target string
	peer   grpc.ClientConnInterface
}

func (p *pinger) Start(context.Context) error { return nil }
func (p *pinger) Stop(context.Context) error  { return nil }
func (p *pinger) RegisterGRPC(s *grpc.Server) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "upstate.test.v1.PingService",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Ping", Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			var in emptypb.Empty
			if err := dec(&in); err != nil {
				return nil, err
			}
			info := &grpc.UnaryServerInfo{FullMethod: "/upstate.test.v1.PingService/Ping"}
			return icpt(ctx, &in, info, func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil })
		}}},
	}, struct{}{})
}

func ping(conn grpc.ClientConnInterface) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return conn.Invoke(ctx, "/upstate.test.v1.PingService/Ping", &emptypb.Empty{}, &emptypb.Empty{})
}

// The host's units serve gRPC behind the host's credentials and present
// them through Infra.Dial: a caller without the token is refused, another
// unit is not, and health needs none.
func TestUnitsAuthenticateGRPC(t *testing.T) {
	t.Parallel()
	h := servicetest.NewHost(t, service.Env{GRPC: grpcx.Auth{Token: "s3cret-token"}}, nil)
	start := func(name string, p *pinger) *service.Running {
		t.Helper()
		r, err := h.Start(context.Background(), service.Unit{Name: name, GRPCAddr: "127.0.0.1:0",
			Build: func(_ context.Context, in *service.Infra) (service.Service, error) {
				if p.target != "" {
					conn, err := in.Dial(p.target)
					if err != nil {
						return nil, err
					}
					p.peer = conn
				}
				return p, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	callee := start("callee", &pinger{})
	caller := &pinger{target: callee.GRPCAddr()}
	start("caller", caller)

	if err := ping(caller.peer); err != nil {
		t.Fatalf("unit to unit: %v", err)
	}
	for _, auth := range []grpcx.Auth{{}, {Token: "guessed"}} {
		conn, err := grpcx.Dial(callee.GRPCAddr(), auth)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		if err := ping(conn); status.Code(err) != codes.Unauthenticated {
			t.Errorf("token %q: %v, want Unauthenticated", auth.Token, err)
		}
	}
	if s := health(t, callee.GRPCAddr()); s != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v, want SERVING", s)
	}
}
