package grpcapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/grpcapi"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

// served is the status service's API over gRPC, as callers reach it.
type served struct {
	services  statusv1.ServiceRegistryServiceClient
	receivers statusv1.ReceiverServiceClient
	log       *testenv.LogBuffer
	// exec runs SQL against the service's database.
	exec func(sql string)
	dsn  string
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
	log := &testenv.LogBuffer{}
	conn := testenv.ServeGRPC(t, logging.New(log, logging.Options{Format: "json"}), func(srv *grpc.Server) {
		statusv1.RegisterServiceRegistryServiceServer(srv, grpcapi.New(st, func() {}, clockwork.NewRealClock()))
		statusv1.RegisterReceiverServiceServer(srv, grpcapi.NewReceivers(st, func(string) {}, clockwork.NewRealClock()))
	})
	return served{
		services: statusv1.NewServiceRegistryServiceClient(conn), receivers: statusv1.NewReceiverServiceClient(conn), log: log, dsn: dsn,
		exec: func(sql string) {
			t.Helper()
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// A store error reaches the caller as "internal error"; what Postgres said
// is in the server's log, with the caller's request id.
func TestStoreErrorsStayOnTheServer(t *testing.T) {
	t.Parallel()
	s := serve(t)
	created, err := s.services.CreateService(context.Background(), &statusv1.CreateServiceRequest{OrgId: "org_a", Name: "API"})
	if err != nil {
		t.Fatal(err)
	}
	s.exec(`ALTER TABLE status.services RENAME TO services_gone`)
	calls := map[string]func(context.Context) error{
		"GetService": func(ctx context.Context) error {
			_, err := s.services.GetService(ctx, &statusv1.GetServiceRequest{OrgId: "org_a", ServiceId: created.GetService().GetId()})
			return err
		},
		"ListServices": func(ctx context.Context) error {
			_, err := s.services.ListServices(ctx, &statusv1.ListServicesRequest{OrgId: "org_a"})
			return err
		},
		"CreateService": func(ctx context.Context) error {
			_, err := s.services.CreateService(ctx, &statusv1.CreateServiceRequest{OrgId: "org_a", Name: "Web"})
			return err
		},
		"SetStatus": func(ctx context.Context) error {
			_, err := s.services.SetStatus(ctx, &statusv1.SetStatusRequest{OrgId: "org_a", ServiceId: created.GetService().GetId(), Status: statusv1.Status_STATUS_DOWN})
			return err
		},
	}
	for name, call := range calls {
		requestID := "req-" + name
		err := call(logging.WithRequestID(context.Background(), requestID))
		if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
			t.Errorf("%s: caller got %v, want Internal \"internal error\"", name, err)
		}
		var logged bool
		for _, line := range strings.Split(s.log.String(), "\n") {
			logged = logged || strings.Contains(line, `"request_id":"`+requestID+`"`) && strings.Contains(line, `services\" does not exist`)
		}
		if !logged {
			t.Errorf("%s: no log line with the request id and the store error:\n%s", name, s.log)
		}
	}
}

// While its database refuses connections the service answers Unavailable,
// which callers retry, with a message of its own; what Postgres said is in
// the server's log, with the caller's request id. Once the database is
// back, so is the service.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	t.Parallel()
	s := serve(t)
	created, err := s.services.CreateService(context.Background(), &statusv1.CreateServiceRequest{OrgId: "org_a", Name: "API"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetService().GetId()
	calls := map[string]func(context.Context) error{
		"GetService": func(ctx context.Context) error {
			_, err := s.services.GetService(ctx, &statusv1.GetServiceRequest{OrgId: "org_a", ServiceId: id})
			return err
		},
		"ListServices": func(ctx context.Context) error {
			_, err := s.services.ListServices(ctx, &statusv1.ListServicesRequest{OrgId: "org_a"})
			return err
		},
		"SetStatus": func(ctx context.Context) error {
			_, err := s.services.SetStatus(ctx, &statusv1.SetStatusRequest{OrgId: "org_a", ServiceId: id, Status: statusv1.Status_STATUS_DOWN})
			return err
		},
		"ListReceivers": func(ctx context.Context) error {
			_, err := s.receivers.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a"})
			return err
		},
	}

	restore := testenv.RefuseConnections(t, s.dsn)
	for name, call := range calls {
		requestID := "req-" + name
		err := call(logging.WithRequestID(context.Background(), requestID))
		if st := status.Convert(err); st.Code() != codes.Unavailable || st.Message() != "the status service is temporarily unavailable; retry shortly" {
			t.Errorf("%s: caller got %v, want Unavailable with the service's own message", name, err)
		}
		var logged bool
		for _, line := range strings.Split(s.log.String(), "\n") {
			logged = logged || strings.Contains(line, `"request_id":"`+requestID+`"`) && strings.Contains(line, "SQLSTATE")
		}
		if !logged {
			t.Errorf("%s: no log line with the request id and what Postgres said:\n%s", name, s.log)
		}
	}

	restore()
	for name, call := range calls {
		testenv.Eventually(t, 10*time.Second, func() error {
			if err := call(context.Background()); err != nil {
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
	svc, err := s.services.CreateService(ctx, &statusv1.CreateServiceRequest{OrgId: "org_a", Name: "API"})
	if err != nil {
		t.Fatal(err)
	}
	id := svc.GetService().GetId()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"no name", func() error {
			_, err := s.services.CreateService(ctx, &statusv1.CreateServiceRequest{OrgId: "org_a", Name: " "})
			return err
		}, "name"},
		{"no organisation", func() error {
			_, err := s.services.GetService(ctx, &statusv1.GetServiceRequest{ServiceId: id})
			return err
		}, "org_id"},
		{"no status", func() error {
			_, err := s.services.SetStatus(ctx, &statusv1.SetStatusRequest{OrgId: "org_a", ServiceId: id})
			return err
		}, "status"},
		{"bad service page token", func() error {
			_, err := s.services.ListServices(ctx, &statusv1.ListServicesRequest{OrgId: "org_a", PageToken: "%%%"})
			return err
		}, grpcx.PageTokenField},
		{"bad history page token", func() error {
			_, err := s.services.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{OrgId: "org_a", ServiceId: id, PageToken: grpcx.EncodeToken("x")})
			return err
		}, grpcx.PageTokenField},
		{"page too large", func() error {
			_, err := s.receivers.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a", PageSize: 500})
			return err
		}, "page_size"},
		{"bad status mapping", func() error {
			_, err := s.receivers.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: "org_a", Spec: &statusv1.ReceiverSpec{
				Name: "CI", ServiceId: id, StatusMapping: map[string]string{"up": "fine"},
			}})
			return err
		}, "status_mapping"},
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
	if s.log.String() != "" {
		t.Errorf("invalid requests were logged as server faults:\n%s", s.log)
	}
}
