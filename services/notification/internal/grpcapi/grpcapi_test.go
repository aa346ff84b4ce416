package grpcapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/grpcapi"
	"github.com/upstatehq/upstate/services/notification/internal/store"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

type apis struct {
	users     notificationv1.UserServiceClient
	schedules notificationv1.ScheduleServiceClient
	policies  notificationv1.EscalationPolicyServiceClient
	clock     *clockwork.FakeClock
}

// serve runs the user, schedule and policy APIs over a fresh database on
// a real gRPC server, on a clock at t0.
func serve(t *testing.T) apis {
	t.Helper()
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	clock := clockwork.NewFakeClockAt(t0)
	conn := testenv.ServeGRPC(t, logging.Discard(), func(s *grpc.Server) {
		people := grpcapi.NewPeople(st, clock)
		notificationv1.RegisterUserServiceServer(s, people)
		notificationv1.RegisterScheduleServiceServer(s, grpcapi.NewSchedules(st, clock))
		notificationv1.RegisterEscalationPolicyServiceServer(s, grpcapi.NewPolicies(st, clock))
	})
	return apis{notificationv1.NewUserServiceClient(conn), notificationv1.NewScheduleServiceClient(conn),
		notificationv1.NewEscalationPolicyServiceClient(conn), clock}
}

// wantField fails unless err is INVALID_ARGUMENT about field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	vs := grpcx.FieldViolations(err)
	if status.Code(err) != codes.InvalidArgument || len(vs) != 1 || vs[0].Field != field {
		t.Fatalf("err = %v, want INVALID_ARGUMENT on %s", err, field)
	}
}

func (a apis) user(t *testing.T, name string) string {
	t.Helper()
	resp, err := a.users.CreateUser(context.Background(), &notificationv1.CreateUserRequest{OrgId: "org_a",
		Spec: &notificationv1.UserSpec{Name: name, Email: name + "@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetUser().GetSpec().GetTimeZone() != "UTC" {
		t.Errorf("default zone = %q, want UTC", resp.GetUser().GetSpec().GetTimeZone())
	}
	return resp.GetUser().GetId()
}

func TestUpdatesNameTheirFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := serve(t)
	ada := a.user(t, "ada")
	_, err := a.users.UpdateUser(ctx, &notificationv1.UpdateUserRequest{OrgId: "org_a", UserId: ada})
	wantField(t, err, "update_mask")
	_, err = a.users.UpdateUser(ctx, &notificationv1.UpdateUserRequest{OrgId: "org_a", UserId: ada, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"pager"}}})
	wantField(t, err, "update_mask")
	a.clock.Advance(time.Minute)
	resp, err := a.users.UpdateUser(ctx, &notificationv1.UpdateUserRequest{OrgId: "org_a", UserId: ada,
		Spec: &notificationv1.UserSpec{Name: "Ada Lovelace", Email: "ignored@example.com"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := resp.GetUser()
	if u.GetSpec().GetName() != "Ada Lovelace" || u.GetSpec().GetEmail() != "ada@example.com" || !u.GetUpdatedAt().AsTime().Equal(t0.Add(time.Minute)) {
		t.Errorf("user after the update = %v", u)
	}
	_, err = a.users.ListUsers(ctx, &notificationv1.ListUsersRequest{OrgId: "org_a", PageToken: "%%%"})
	wantField(t, err, grpcx.PageTokenField)
	if _, err := a.users.GetUser(ctx, &notificationv1.GetUserRequest{OrgId: "org_b", UserId: ada}); status.Code(err) != codes.NotFound {
		t.Errorf("another organisation's user: %v", err)
	}
}

// Who is on call defaults to the service's clock; a referenced user is
// FAILED_PRECONDITION; targets are checked as a step's are.
func TestOnCallAndTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := serve(t)
	ada, grace := a.user(t, "ada"), a.user(t, "grace")
	sched, err := a.schedules.CreateSchedule(ctx, &notificationv1.CreateScheduleRequest{OrgId: "org_a", Spec: &notificationv1.ScheduleSpec{
		Name: "Primary", Layers: []*notificationv1.Layer{{Members: []string{ada, grace}, Start: "2026-12-07T09:00:00",
			Handoff: &notificationv1.Handoff{Every: 1, Unit: "day"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := sched.GetSchedule().GetId()
	a.clock.Advance(25 * time.Hour)
	on, err := a.schedules.GetOnCall(ctx, &notificationv1.GetOnCallRequest{OrgId: "org_a", ScheduleId: id})
	if err != nil {
		t.Fatal(err)
	}
	if got := on.GetUserIds(); len(got) != 1 || got[0] != grace || !on.GetAt().AsTime().Equal(t0.Add(25*time.Hour)) {
		t.Errorf("on call now = %v at %v, want Grace at the clock's time", got, on.GetAt().AsTime())
	}
	if sh := on.GetShifts(); len(sh) != 1 || !sh[0].GetStart().AsTime().Equal(t0.Add(24*time.Hour)) || !sh[0].GetEnd().AsTime().Equal(t0.Add(48*time.Hour)) {
		t.Errorf("the shift holding now = %v, want Grace's whole day", sh)
	}
	_, err = a.users.DeleteUser(ctx, &notificationv1.DeleteUserRequest{OrgId: "org_a", UserId: grace})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("deleting a user on a schedule: %v, want FAILED_PRECONDITION", err)
	}
	_, err = a.policies.ResolveTargets(ctx, &notificationv1.ResolveTargetsRequest{OrgId: "org_a", Targets: []*notificationv1.Target{
		{Kind: &notificationv1.Target_ScheduleId{ScheduleId: id}}, {Kind: &notificationv1.Target_UserId{UserId: "ada"}}}})
	wantField(t, err, "targets[1].user_id")
	res, err := a.policies.ResolveTargets(ctx, &notificationv1.ResolveTargetsRequest{OrgId: "org_a", Targets: []*notificationv1.Target{
		{Kind: &notificationv1.Target_ScheduleId{ScheduleId: id}}, {Kind: &notificationv1.Target_UserId{UserId: ada}}}})
	if err != nil || len(res.GetUserIds()) != 2 || res.GetUserIds()[0] != grace || res.GetRecipients()[1].GetUserId() != ada {
		t.Errorf("resolved = %v, %v; want Grace (on call now) then Ada", res, err)
	}
	_, err = a.policies.CreatePolicy(ctx, &notificationv1.CreatePolicyRequest{OrgId: "org_a", Spec: &notificationv1.EscalationPolicySpec{
		Name: "No after", Steps: []*notificationv1.EscalationStep{{Targets: []*notificationv1.Target{{Kind: &notificationv1.Target_UserId{UserId: ada}}}}}}})
	wantField(t, err, "steps[0].after")
	_, err = a.policies.CreatePolicy(ctx, &notificationv1.CreatePolicyRequest{OrgId: "org_a", Spec: &notificationv1.EscalationPolicySpec{
		Name: "Fine", Steps: []*notificationv1.EscalationStep{{After: durationpb.New(0), Targets: []*notificationv1.Target{{Kind: &notificationv1.Target_UserId{UserId: ada}}}}}}})
	if err != nil {
		t.Errorf("a policy with after 0s: %v", err)
	}
}
