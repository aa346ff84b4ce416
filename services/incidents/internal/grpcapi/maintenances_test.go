package grpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/grpcapi"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

// statusFailing is the status service answering look-ups but failing to
// change a status, as when it goes away in the middle of a start.
type statusFailing struct {
	statusv1.ServiceRegistryServiceClient
}

func (statusFailing) GetService(_ context.Context, req *statusv1.GetServiceRequest, _ ...grpc.CallOption) (*statusv1.GetServiceResponse, error) {
	return &statusv1.GetServiceResponse{Service: &statusv1.Service{
		Id: req.GetServiceId(), OrgId: req.GetOrgId(), Name: "API", Status: statusv1.Status_STATUS_OPERATIONAL, Version: 1,
	}}, nil
}

func (statusFailing) SetStatus(context.Context, *statusv1.SetStatusRequest, ...grpc.CallOption) (*statusv1.SetStatusResponse, error) {
	return nil, status.Error(codes.Unavailable, "status service unavailable")
}

// A window due at once whose start fails is still created, left to the
// scheduler's retries, and the failure is logged once with its id.
func TestCreateMaintenanceLogsAFailedStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	var logs bytes.Buffer // only the request's goroutine logs: the scheduler is not running
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	clock := clockwork.NewFakeClock()
	sched := scheduler.New(st, statusFailing{}, func() {}, metrics.New(nil), clock, logger, time.Hour)
	api := grpcapi.NewMaintenances(st, statusFailing{}, sched, func() {}, clock, logger)

	now := clock.Now()
	resp, err := api.CreateMaintenance(ctx, &incidentsv1.CreateMaintenanceRequest{
		OrgId: "org_a", Title: "Database upgrade", ServiceIds: []string{"svc_1"},
		StartsAt: timestamppb.New(now.Add(-time.Minute)), EndsAt: timestamppb.New(now.Add(time.Hour)),
	})
	if err != nil || resp.GetMaintenance().GetStatus() != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED {
		t.Fatalf("create: %v, %v; want the window created and still scheduled", resp, err)
	}
	id := resp.GetMaintenance().GetId()

	var logged []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["maintenance_id"] == id {
			logged = append(logged, rec)
		}
	}
	if len(logged) != 1 {
		t.Fatalf("%d log lines name %s, want 1; log:\n%s", len(logged), id, logs.String())
	}
	if msg, _ := logged[0]["err"].(string); !strings.Contains(msg, "status service unavailable") {
		t.Fatalf("logged %v, want the failure under err", logged[0])
	}
}
