package grpcapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/grpcapi"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// leak is what a failing status service might say: nothing its callers'
// callers should read.
const leak = `get service svc_1: ERROR: relation "status.services" does not exist (SQLSTATE 42P01)`

// registry stands in for the status service: it knows every service id,
// and answers GetService and SetStatus with the errors set, if any.
type registry struct {
	statusv1.ServiceRegistryServiceClient // other methods are not called
	mu                                    sync.Mutex
	getErr, setErr                        error
	version                               int64
	// lookups counts GetService calls.
	lookups int
}

func (r *registry) fail(get, set error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.getErr, r.setErr = get, set
}

func (r *registry) GetService(_ context.Context, req *statusv1.GetServiceRequest, _ ...grpc.CallOption) (*statusv1.GetServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	if r.getErr != nil {
		return nil, r.getErr
	}
	return &statusv1.GetServiceResponse{Service: r.service(req.GetOrgId(), req.GetServiceId(), statusv1.Status_STATUS_OPERATIONAL)}, nil
}

// lookupCount returns the GetService calls so far and starts counting
// again.
func (r *registry) lookupCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.lookups
	r.lookups = 0
	return n
}

func (r *registry) SetStatus(_ context.Context, req *statusv1.SetStatusRequest, _ ...grpc.CallOption) (*statusv1.SetStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.setErr != nil {
		return nil, r.setErr
	}
	r.version++
	return &statusv1.SetStatusResponse{Service: r.service(req.GetOrgId(), req.GetServiceId(), req.GetStatus()), Changed: true}, nil
}

func (r *registry) service(orgID, id string, st statusv1.Status) *statusv1.Service {
	return &statusv1.Service{Id: id, OrgId: orgID, Name: id, Status: st, Version: r.version + 1}
}

// served is the incidents service's API over gRPC, as callers reach it.
type served struct {
	incidents    incidentsv1.IncidentServiceClient
	maintenances incidentsv1.MaintenanceServiceClient
	registry     *registry
	log          *testenv.LogBuffer
	exec         func(sql string)
	dsn          string
}

func serve(t *testing.T) served {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	reg := &registry{}
	log := &testenv.LogBuffer{}
	logger := logging.New(log, logging.Options{Format: "json"})
	clock := clockwork.NewRealClock()
	sched := scheduler.New(st, reg, func() {}, metrics.New(prometheus.NewRegistry()), clock, logger, time.Hour)
	conn := testenv.ServeGRPC(t, logger, func(srv *grpc.Server) {
		incidentsv1.RegisterIncidentServiceServer(srv, grpcapi.NewIncidents(st, reg, func() {}, clock))
		incidentsv1.RegisterMaintenanceServiceServer(srv, grpcapi.NewMaintenances(st, reg, sched, func() {}, clock, logger))
	})
	return served{
		incidents: incidentsv1.NewIncidentServiceClient(conn), maintenances: incidentsv1.NewMaintenanceServiceClient(conn),
		registry: reg, log: log, dsn: dsn,
		exec: func(sql string) {
			t.Helper()
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// logged reports whether one line of the server's log has the request id
// and the text.
func (s served) logged(requestID, text string) bool {
	for _, line := range strings.Split(s.log.String(), "\n") {
		if strings.Contains(line, `"request_id":"`+requestID+`"`) && strings.Contains(line, text) {
			return true
		}
	}
	return false
}

// The status service's errors are mapped on purpose, never relayed: the
// caller learns what it can act on, and the rest stays in the log.
func TestStatusServiceErrorsAreNotRelayed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		message string
		field   string // the field violation the caller gets, if any
		log     string // what the server logs with the request id ("": nothing)
	}{
		{"internal", status.Error(codes.Internal, leak), codes.Internal, "internal error", "", "SQLSTATE 42P01"},
		{"unknown", status.Error(codes.Unknown, leak), codes.Internal, "internal error", "", "SQLSTATE 42P01"},
		{"refused request", grpcx.InvalidField("org_id", "is required"), codes.Internal, "internal error", "", "org_id: is required"},
		{"permission denied", status.Error(codes.PermissionDenied, leak), codes.Internal, "internal error", "", "SQLSTATE 42P01"},
		{"unavailable", status.Error(codes.Unavailable, "dial tcp 10.0.3.7:9090: connection refused"), codes.Unavailable, "the status service is unavailable; retry shortly", "", "connection refused"},
		{"deadline", status.Error(codes.DeadlineExceeded, leak), codes.Unavailable, "the status service is unavailable; retry shortly", "", "SQLSTATE 42P01"},
		{"changed meanwhile", status.Error(codes.FailedPrecondition, leak), codes.Aborted, "a service changed while the request was handled; retry", "", ""},
		{"unknown service", status.Error(codes.NotFound, leak), codes.InvalidArgument, "service_ids: service svc_1 not found", "service_ids", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := serve(t)
			s.registry.fail(tt.err, nil)
			requestID := "req-" + strings.ReplaceAll(tt.name, " ", "-")
			ctx := logging.WithRequestID(context.Background(), requestID)
			_, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{
				OrgId: "org_a", Title: "API down", Severity: statusv1.Severity_SEVERITY_MAJOR, ServiceIds: []string{"svc_1"},
			})
			if st := status.Convert(err); st.Code() != tt.code || st.Message() != tt.message {
				t.Fatalf("caller got %v, want %s %q", err, tt.code, tt.message)
			}
			var fields []string
			for _, v := range grpcx.FieldViolations(err) {
				fields = append(fields, v.Field)
			}
			if strings.Join(fields, ",") != tt.field {
				t.Errorf("field violations %v, want %q", fields, tt.field)
			}
			switch {
			case tt.log == "" && s.logged(requestID, ""):
				t.Errorf("a client error was logged:\n%s", s.log)
			case tt.log != "" && !s.logged(requestID, tt.log):
				t.Errorf("no log line with the request id and %q:\n%s", tt.log, s.log)
			}
		})
	}
}

// A status service failing while a maintenance window is cancelled is not
// relayed either.
func TestCancelDoesNotRelayStatusServiceErrors(t *testing.T) {
	t.Parallel()
	s := serve(t)
	ctx := context.Background()
	now := time.Now()
	created, err := s.maintenances.CreateMaintenance(ctx, &incidentsv1.CreateMaintenanceRequest{
		OrgId: "org_a", Title: "Upgrade", ServiceIds: []string{"svc_1"},
		StartsAt: timestamppb.New(now.Add(-time.Minute)), EndsAt: timestamppb.New(now.Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := created.GetMaintenance().GetStatus(); got != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS {
		t.Fatalf("maintenance %v, want in progress", got)
	}
	s.registry.fail(nil, status.Error(codes.Internal, leak))
	_, err = s.maintenances.CancelMaintenance(logging.WithRequestID(ctx, "req-cancel"), &incidentsv1.CancelMaintenanceRequest{
		OrgId: "org_a", MaintenanceId: created.GetMaintenance().GetId(),
	})
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Fatalf("caller got %v, want Internal \"internal error\"", err)
	}
	if !s.logged("req-cancel", "SQLSTATE 42P01") {
		t.Errorf("no log line with the request id and the cause:\n%s", s.log)
	}
}

// A store error reaches the caller as "internal error", and the log.
func TestStoreErrorsStayOnTheServer(t *testing.T) {
	t.Parallel()
	s := serve(t)
	s.exec(`ALTER TABLE incidents.incidents RENAME TO incidents_gone`)
	ctx := logging.WithRequestID(context.Background(), "req-get")
	_, err := s.incidents.GetIncident(ctx, &incidentsv1.GetIncidentRequest{OrgId: "org_a", IncidentId: "inc_1"})
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Fatalf("caller got %v, want Internal \"internal error\"", err)
	}
	if !s.logged("req-get", `incidents\" does not exist`) {
		t.Errorf("no log line with the request id and the store error:\n%s", s.log)
	}
}

// While its database refuses connections the service answers Unavailable,
// which callers retry, with a message of its own; what Postgres said is in
// the server's log, with the caller's request id. Once the database is
// back, so is the service.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	t.Parallel()
	s := serve(t)
	ctx := context.Background()
	inc, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{
		OrgId: "org_a", Title: "API down", Severity: statusv1.Severity_SEVERITY_MAJOR, ServiceIds: []string{"svc_1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(context.Context) error{
		"GetIncident": func(ctx context.Context) error {
			_, err := s.incidents.GetIncident(ctx, &incidentsv1.GetIncidentRequest{OrgId: "org_a", IncidentId: inc.GetIncident().GetId()})
			return err
		},
		"ListIncidents": func(ctx context.Context) error {
			_, err := s.incidents.ListIncidents(ctx, &incidentsv1.ListIncidentsRequest{OrgId: "org_a"})
			return err
		},
		"CreateIncident": func(ctx context.Context) error {
			_, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{
				OrgId: "org_a", Title: "Web down", Severity: statusv1.Severity_SEVERITY_MINOR, ServiceIds: []string{"svc_2"},
			})
			return err
		},
		"ListMaintenances": func(ctx context.Context) error {
			_, err := s.maintenances.ListMaintenances(ctx, &incidentsv1.ListMaintenancesRequest{OrgId: "org_a"})
			return err
		},
	}

	restore := testenv.RefuseConnections(t, s.dsn)
	for name, call := range calls {
		requestID := "req-" + name
		err := call(logging.WithRequestID(ctx, requestID))
		if st := status.Convert(err); st.Code() != codes.Unavailable || st.Message() != "the incidents service is temporarily unavailable; retry shortly" {
			t.Errorf("%s: caller got %v, want Unavailable with the service's own message", name, err)
		}
		if !s.logged(requestID, "SQLSTATE") {
			t.Errorf("%s: no log line with the request id and what Postgres said:\n%s", name, s.log)
		}
	}

	restore()
	for name, call := range calls {
		testenv.Eventually(t, 10*time.Second, func() error {
			if err := call(ctx); err != nil {
				return fmt.Errorf("%s after the outage: %w", name, err)
			}
			return nil
		})
	}
}

// Invalid requests name the field in BadRequest details; a bad page token
// names page_token.
func TestInvalidArgumentsNameTheField(t *testing.T) {
	t.Parallel()
	s := serve(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"no title", func() error {
			_, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{OrgId: "org_a", Severity: statusv1.Severity_SEVERITY_MINOR})
			return err
		}, "title"},
		{"no severity", func() error {
			_, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{OrgId: "org_a", Title: "x", Severity: statusv1.Severity(99)})
			return err
		}, "severity"},
		{"no organisation", func() error {
			_, err := s.incidents.GetIncident(ctx, &incidentsv1.GetIncidentRequest{IncidentId: "inc_1"})
			return err
		}, "org_id"},
		{"bad incident page token", func() error {
			_, err := s.incidents.ListIncidents(ctx, &incidentsv1.ListIncidentsRequest{OrgId: "org_a", PageToken: "%%%"})
			return err
		}, grpcx.PageTokenField},
		{"bad maintenance status", func() error {
			_, err := s.maintenances.ListMaintenances(ctx, &incidentsv1.ListMaintenancesRequest{OrgId: "org_a", Status: incidentsv1.MaintenanceStatus(99)})
			return err
		}, "status"},
		{"no end", func() error {
			_, err := s.maintenances.CreateMaintenance(ctx, &incidentsv1.CreateMaintenanceRequest{OrgId: "org_a", Title: "x", ServiceIds: []string{"svc_1"}, StartsAt: timestamppb.Now()})
			return err
		}, "ends_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			got := grpcx.FieldViolations(err)
			if status.Code(err) != codes.InvalidArgument || len(got) != 1 || got[0].Field != tt.field || got[0].Description == "" {
				t.Errorf("error %v with violations %v, want InvalidArgument naming %s", err, got, tt.field)
			}
		})
	}
}
