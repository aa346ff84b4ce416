package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/store"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func newStore(t testing.TB) *store.Store {
	t.Helper()
	return store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
}

func createUser(t testing.TB, st *store.Store, orgID, name string, channels ...string) domain.User {
	t.Helper()
	u := domain.User{ID: ids.New(ids.User), OrgID: orgID, CreatedAt: t0, UpdatedAt: t0,
		Spec: domain.UserSpec{Name: name, Email: strings.ToLower(name) + "@example.com", TimeZone: "Europe/Paris", ChannelIDs: channels}}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// weekly is a schedule of one layer handing off weekly on Monday 09:00.
func weekly(orgID, name string, members ...string) domain.Schedule {
	return domain.Schedule{ID: ids.New(ids.Schedule), OrgID: orgID, CreatedAt: t0, UpdatedAt: t0, Spec: domain.ScheduleSpec{
		Name: name, TimeZone: "UTC",
		Layers: []domain.Layer{{Name: "primary", Members: members, Start: "2026-12-07T09:00:00", Handoff: domain.Handoff{Every: 1, Unit: "week"}}},
	}}
}

func policyOf(orgID, name string, targets ...escalation.Target) domain.Policy {
	return domain.Policy{ID: ids.New(ids.Policy), OrgID: orgID, CreatedAt: t0, UpdatedAt: t0, Version: 1,
		Spec: domain.PolicySpec{Name: name, Policy: escalation.Policy{Steps: []escalation.Step{{After: 0, Targets: targets}}}}}
}

func wantConflict(t *testing.T, err error, mentions string) {
	t.Helper()
	var cerr *domain.ConflictError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	if !strings.Contains(cerr.Reason, mentions) {
		t.Errorf("conflict %q does not mention %q", cerr.Reason, mentions)
	}
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) || verr.Field != field {
		t.Fatalf("err = %v, want a ValidationError of %s", err, field)
	}
}

func TestUsersAreUniqueByEmailPerOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	ada := createUser(t, st, "org_a", "Ada")
	dup := ada
	dup.ID, dup.Spec.Email = ids.New(ids.User), "ADA@example.com"
	wantConflict(t, st.CreateUser(ctx, dup), "ADA@example.com")
	dup.OrgID = "org_b"
	if err := st.CreateUser(ctx, dup); err != nil {
		t.Fatalf("another organisation's user with the same email: %v", err)
	}
	if _, err := st.GetUser(ctx, "org_b", ada.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another organisation's user: err = %v, want ErrNotFound", err)
	}
	grace := createUser(t, st, "org_a", "Grace")
	_, err := st.UpdateUser(ctx, "org_a", grace.ID, func(u domain.User) (domain.User, error) {
		u.Spec.Email = "ada@example.com"
		return u, nil
	})
	wantConflict(t, err, "ada@example.com")
	got, err := st.UpdateUser(ctx, "org_a", grace.ID, func(u domain.User) (domain.User, error) {
		u.Spec.ChannelIDs = []string{"chn_01jz0000000000000000000000"}
		return u, nil
	})
	if err != nil || !slices.Equal(got.Spec.ChannelIDs, []string{"chn_01jz0000000000000000000000"}) {
		t.Fatalf("update = %+v, %v", got, err)
	}
	list, err := st.ListUsers(ctx, "org_a", "", 10)
	if err != nil || len(list) != 2 || list[0].ID != grace.ID {
		t.Fatalf("list = %+v, %v; want Grace then Ada", list, err)
	}
}

func TestTeamsHoldUsersOfTheOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	ada, grace := createUser(t, st, "org_a", "Ada"), createUser(t, st, "org_a", "Grace")
	stranger := createUser(t, st, "org_b", "Stranger")
	team := domain.Team{ID: ids.New(ids.Team), OrgID: "org_a", CreatedAt: t0, UpdatedAt: t0,
		Spec: domain.TeamSpec{Name: "SRE", MemberIDs: []string{grace.ID, stranger.ID}}}
	wantInvalid(t, st.CreateTeam(ctx, team), "member_ids")
	team.Spec.MemberIDs = []string{grace.ID, ada.ID}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, "org_a", grace.ID); err != nil {
		t.Fatalf("deleting a team member: %v", err)
	}
	got, err := st.GetTeam(ctx, "org_a", team.ID)
	if err != nil || !slices.Equal(got.Spec.MemberIDs, []string{ada.ID}) {
		t.Fatalf("team after the deletion = %+v, %v; want only Ada", got.Spec, err)
	}
}

// A user or schedule that another record names cannot be deleted, and the
// conflict says which record.
func TestDeletingAReferencedUserOrScheduleConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	ada, grace, linus := createUser(t, st, "org_a", "Ada"), createUser(t, st, "org_a", "Grace"), createUser(t, st, "org_a", "Linus")
	stranger := createUser(t, st, "org_b", "Stranger")

	sched := weekly("org_a", "Primary", ada.ID, stranger.ID)
	wantInvalid(t, st.CreateSchedule(ctx, sched), "layers.members")
	sched = weekly("org_a", "Primary", ada.ID)
	if err := st.CreateSchedule(ctx, sched); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeleteUser(ctx, "org_a", ada.ID), sched.ID)

	o := domain.Override{ID: ids.New(ids.Override), ScheduleID: sched.ID, UserID: linus.ID, From: t0, To: t0.Add(time.Hour), CreatedAt: t0}
	if err := st.CreateOverride(ctx, "org_a", o); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeleteUser(ctx, "org_a", linus.ID), "override")

	pol := policyOf("org_a", "Default", escalation.Target{ScheduleID: sched.ID}, escalation.Target{UserID: stranger.ID})
	wantInvalid(t, st.CreatePolicy(ctx, pol), "steps.targets.user_id")
	pol = policyOf("org_a", "Default", escalation.Target{ScheduleID: ids.New(ids.Schedule)})
	wantInvalid(t, st.CreatePolicy(ctx, pol), "steps.targets.schedule_id")
	pol = policyOf("org_a", "Default", escalation.Target{ScheduleID: sched.ID}, escalation.Target{UserID: grace.ID})
	if err := st.CreatePolicy(ctx, pol); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeleteUser(ctx, "org_a", grace.ID), pol.ID)
	wantConflict(t, st.DeleteSchedule(ctx, "org_a", sched.ID), pol.ID)

	if err := st.DeletePolicy(ctx, "org_a", pol.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, "org_a", grace.ID); err != nil {
		t.Errorf("deleting a user nothing names: %v", err)
	}
	if err := st.DeleteSchedule(ctx, "org_a", sched.ID); err != nil {
		t.Fatalf("deleting a schedule no policy names: %v", err)
	}
	// Its override went with it, and so did the last reference to Linus.
	if err := st.DeleteUser(ctx, "org_a", linus.ID); err != nil {
		t.Errorf("deleting the user of a deleted schedule's override: %v", err)
	}
	if err := st.DeleteUser(ctx, "org_b", ada.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleting another organisation's user: err = %v, want ErrNotFound", err)
	}
}

func TestResolveTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	const chnAda, chnGrace, chnOps = "chn_01jz00000000000000000000a1", "chn_01jz00000000000000000000b1", "chn_01jz00000000000000000000c1"
	ada, grace := createUser(t, st, "org_a", "Ada", chnAda), createUser(t, st, "org_a", "Grace", chnGrace, chnOps)
	sched := weekly("org_a", "Primary", ada.ID, grace.ID)
	if err := st.CreateSchedule(ctx, sched); err != nil {
		t.Fatal(err)
	}
	o := domain.Override{ID: ids.New(ids.Override), ScheduleID: sched.ID, UserID: grace.ID, From: t0.Add(24 * time.Hour), To: t0.Add(48 * time.Hour), CreatedAt: t0}
	if err := st.CreateOverride(ctx, "org_a", o); err != nil {
		t.Fatal(err)
	}
	targets := []escalation.Target{{ScheduleID: sched.ID}, {ChannelID: chnOps}, {UserID: ada.ID}, {ScheduleID: ids.New(ids.Schedule)}}
	for _, tc := range []struct {
		name     string
		at       time.Time
		users    []string
		channels []string
	}{
		{"week one: Ada on call, then named again", t0.Add(time.Hour), []string{ada.ID}, []string{chnAda, chnOps}},
		{"Grace's override", t0.Add(30 * time.Hour), []string{grace.ID, ada.ID}, []string{chnGrace, chnOps, chnAda}},
		{"week two: Grace", t0.Add(8 * 24 * time.Hour), []string{grace.ID, ada.ID}, []string{chnGrace, chnOps, chnAda}},
		{"before the rotation starts: only Ada by name", t0.Add(-time.Hour), []string{ada.ID}, []string{chnAda, chnOps}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := st.Resolve(ctx, "org_a", targets, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, r := range res.Recipients {
				users = append(users, r.UserID)
			}
			if !slices.Equal(users, tc.users) || !slices.Equal(res.ChannelIDs, tc.channels) {
				t.Errorf("users %v channels %v, want %v %v", users, res.ChannelIDs, tc.users, tc.channels)
			}
			if len(res.ByTarget) != len(targets) || len(res.ByTarget[3]) != 0 {
				t.Errorf("by target = %v; want one entry per target, none for the unknown schedule", res.ByTarget)
			}
		})
	}
	// Another organisation's schedule reaches nobody.
	res, err := st.Resolve(ctx, "org_b", []escalation.Target{{ScheduleID: sched.ID}, {UserID: ada.ID}}, t0.Add(time.Hour))
	if err != nil || len(res.Recipients) != 0 || len(res.ChannelIDs) != 0 {
		t.Errorf("another organisation resolved %+v, %v; want nobody", res, err)
	}
}

func TestRoutesKeepTheirSelector(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	r := domain.Route{ID: ids.New(ids.Route), OrgID: "org_a", CreatedAt: t0, UpdatedAt: t0, Spec: domain.RouteSpec{
		Name: "payments", Events: []string{"incident.opened", "incident.resolved"},
		Services: domain.Selector{Tags: map[string]string{"team": "payments"}}, ChannelIDs: []string{"chn_01jz00000000000000000000c1"},
	}}
	if err := st.CreateRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetRoute(ctx, "org_a", r.ID)
	if err != nil || got.Spec.Services.Tags["team"] != "payments" || !slices.Equal(got.Spec.Events, r.Spec.Events) {
		t.Fatalf("route = %+v, %v", got, err)
	}
	if _, err := st.GetRoute(ctx, "org_b", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another organisation's route: err = %v", err)
	}
}
