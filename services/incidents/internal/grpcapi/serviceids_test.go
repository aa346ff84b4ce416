package grpcapi_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// Every RPC that takes services refuses an oversized list before asking
// the status service about any id, and asks once per distinct id of a
// list within the limit.
func TestServiceIDsAreCheckedBeforeTheyAreLookedUp(t *testing.T) {
	t.Parallel()
	s := serve(t)
	ctx := context.Background()
	now := time.Now()
	inc, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{
		OrgId: "org_a", Title: "API down", Severity: statusv1.Severity_SEVERITY_MAJOR,
	})
	if err != nil {
		t.Fatal(err)
	}
	mnt, err := s.maintenances.CreateMaintenance(ctx, &incidentsv1.CreateMaintenanceRequest{
		OrgId: "org_a", Title: "Upgrade", ServiceIds: []string{"svc_1"},
		StartsAt: timestamppb.New(now.Add(time.Hour)), EndsAt: timestamppb.New(now.Add(2 * time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ids []string) error{
		"CreateIncident": func(ids []string) error {
			_, err := s.incidents.CreateIncident(ctx, &incidentsv1.CreateIncidentRequest{
				OrgId: "org_a", Title: "API down", Severity: statusv1.Severity_SEVERITY_MAJOR, ServiceIds: ids,
			})
			return err
		},
		"UpdateIncident": func(ids []string) error {
			_, err := s.incidents.UpdateIncident(ctx, &incidentsv1.UpdateIncidentRequest{
				OrgId: "org_a", IncidentId: inc.GetIncident().GetId(), ServiceIds: &incidentsv1.ServiceIDs{Ids: ids},
			})
			return err
		},
		"CreateMaintenance": func(ids []string) error {
			_, err := s.maintenances.CreateMaintenance(ctx, &incidentsv1.CreateMaintenanceRequest{
				OrgId: "org_a", Title: "Upgrade", ServiceIds: ids,
				StartsAt: timestamppb.New(now.Add(time.Hour)), EndsAt: timestamppb.New(now.Add(2 * time.Hour)),
			})
			return err
		},
		"UpdateMaintenance": func(ids []string) error {
			_, err := s.maintenances.UpdateMaintenance(ctx, &incidentsv1.UpdateMaintenanceRequest{
				OrgId: "org_a", MaintenanceId: mnt.GetMaintenance().GetId(), ServiceIds: &incidentsv1.MaintenanceServiceIDs{Ids: ids},
			})
			return err
		},
	}
	// Every id is a service the stand-in knows: only the limit refuses
	// the list.
	oversized := slices.Repeat([]string{"svc_1"}, 50_000)
	for name, call := range calls {
		s.registry.lookupCount()
		err := call(oversized)
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "service_ids: must name at most 100 services" {
			t.Errorf("%s with 50,000 ids: %v, want InvalidArgument about the limit", name, err)
		}
		if v := grpcx.FieldViolations(err); len(v) != 1 || v[0].Field != "service_ids" {
			t.Errorf("%s with 50,000 ids: field violations %v, want service_ids", name, v)
		}
		if n := s.registry.lookupCount(); n != 0 {
			t.Errorf("%s with 50,000 ids asked the status service %d times, want none", name, n)
		}

		if err := call([]string{"svc_1", "svc_2", "svc_1", " svc_2"}); err != nil {
			t.Errorf("%s with repeated ids: %v", name, err)
		}
		if n := s.registry.lookupCount(); n != 2 {
			t.Errorf("%s with 2 distinct ids asked the status service %d times, want 2", name, n)
		}
	}
}
