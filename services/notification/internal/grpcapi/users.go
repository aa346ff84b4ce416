package grpcapi

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/ids"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/pbconv"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// People implements UserService and TeamService.
type People struct {
	notificationv1.UnimplementedUserServiceServer
	notificationv1.UnimplementedTeamServiceServer
	store *store.Store
	clock clockwork.Clock
}

// NewPeople returns the user and team APIs over st.
func NewPeople(st *store.Store, clock clockwork.Clock) *People {
	return &People{store: st, clock: clock}
}

const user, team = "user", "team"

// userFields are the fields of UserSpec an update mask may name.
var userFields = []string{"name", "email", "time_zone", "slack_member_id", "phone", "channel_ids"}

func applyUser(s domain.UserSpec, in *notificationv1.UserSpec, fields []string) domain.UserSpec {
	for _, f := range fields {
		switch f {
		case "name":
			s.Name = in.GetName()
		case "email":
			s.Email = in.GetEmail()
		case "time_zone":
			s.TimeZone = in.GetTimeZone()
		case "slack_member_id":
			s.SlackMemberID = in.GetSlackMemberId()
		case "phone":
			s.Phone = in.GetPhone()
		case "channel_ids":
			s.ChannelIDs = in.GetChannelIds()
		}
	}
	return s.Normalize()
}

// CreateUser implements the RPC.
func (p *People) CreateUser(ctx context.Context, req *notificationv1.CreateUserRequest) (*notificationv1.CreateUserResponse, error) {
	u, err := create(ctx, req.GetOrgId(), user, p.clock, applyUser(domain.UserSpec{}, req.GetSpec(), userFields), domain.UserSpec.Validate,
		func(spec domain.UserSpec, now time.Time) domain.User {
			return domain.User{ID: ids.New(ids.User), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
		}, p.store.CreateUser)
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreateUserResponse{User: pbconv.User(u)}, nil
}

// GetUser implements the RPC.
func (p *People) GetUser(ctx context.Context, req *notificationv1.GetUserRequest) (*notificationv1.GetUserResponse, error) {
	u, err := get(ctx, req.GetOrgId(), req.GetUserId(), user, p.store.GetUser)
	if err != nil {
		return nil, err
	}
	return &notificationv1.GetUserResponse{User: pbconv.User(u)}, nil
}

// ListUsers implements the RPC.
func (p *People) ListUsers(ctx context.Context, req *notificationv1.ListUsersRequest) (*notificationv1.ListUsersResponse, error) {
	users, next, err := list(ctx, req, user, p.store.ListUsers, func(u domain.User) string { return u.ID }, pbconv.User)
	if err != nil {
		return nil, err
	}
	return &notificationv1.ListUsersResponse{Users: users, NextPageToken: next}, nil
}

// UpdateUser implements the RPC.
func (p *People) UpdateUser(ctx context.Context, req *notificationv1.UpdateUserRequest) (*notificationv1.UpdateUserResponse, error) {
	u, err := update(ctx, req, req.GetUserId(), user, userFields, p.clock, p.store.UpdateUser,
		func(u domain.User, fields []string, now time.Time) (domain.User, error) {
			u.Spec = applyUser(u.Spec, req.GetSpec(), fields)
			u.UpdatedAt = now
			return u, u.Spec.Validate()
		})
	if err != nil {
		return nil, err
	}
	return &notificationv1.UpdateUserResponse{User: pbconv.User(u)}, nil
}

// DeleteUser implements the RPC.
func (p *People) DeleteUser(ctx context.Context, req *notificationv1.DeleteUserRequest) (*notificationv1.DeleteUserResponse, error) {
	if err := remove(ctx, req.GetOrgId(), req.GetUserId(), user, p.store.DeleteUser); err != nil {
		return nil, err
	}
	return &notificationv1.DeleteUserResponse{}, nil
}

// teamFields are the fields of TeamSpec an update mask may name.
var teamFields = []string{"name", "member_ids"}

func applyTeam(s domain.TeamSpec, in *notificationv1.TeamSpec, fields []string) domain.TeamSpec {
	for _, f := range fields {
		switch f {
		case "name":
			s.Name = in.GetName()
		case "member_ids":
			s.MemberIDs = in.GetMemberIds()
		}
	}
	return s.Normalize()
}

// CreateTeam implements the RPC.
func (p *People) CreateTeam(ctx context.Context, req *notificationv1.CreateTeamRequest) (*notificationv1.CreateTeamResponse, error) {
	t, err := create(ctx, req.GetOrgId(), team, p.clock, applyTeam(domain.TeamSpec{}, req.GetSpec(), teamFields), domain.TeamSpec.Validate,
		func(spec domain.TeamSpec, now time.Time) domain.Team {
			return domain.Team{ID: ids.New(ids.Team), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
		}, p.store.CreateTeam)
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreateTeamResponse{Team: pbconv.Team(t)}, nil
}

// GetTeam implements the RPC.
func (p *People) GetTeam(ctx context.Context, req *notificationv1.GetTeamRequest) (*notificationv1.GetTeamResponse, error) {
	t, err := get(ctx, req.GetOrgId(), req.GetTeamId(), team, p.store.GetTeam)
	if err != nil {
		return nil, err
	}
	return &notificationv1.GetTeamResponse{Team: pbconv.Team(t)}, nil
}

// ListTeams implements the RPC.
func (p *People) ListTeams(ctx context.Context, req *notificationv1.ListTeamsRequest) (*notificationv1.ListTeamsResponse, error) {
	teams, next, err := list(ctx, req, team, p.store.ListTeams, func(t domain.Team) string { return t.ID }, pbconv.Team)
	if err != nil {
		return nil, err
	}
	return &notificationv1.ListTeamsResponse{Teams: teams, NextPageToken: next}, nil
}

// UpdateTeam implements the RPC.
func (p *People) UpdateTeam(ctx context.Context, req *notificationv1.UpdateTeamRequest) (*notificationv1.UpdateTeamResponse, error) {
	t, err := update(ctx, req, req.GetTeamId(), team, teamFields, p.clock, p.store.UpdateTeam,
		func(t domain.Team, fields []string, now time.Time) (domain.Team, error) {
			t.Spec = applyTeam(t.Spec, req.GetSpec(), fields)
			t.UpdatedAt = now
			return t, t.Spec.Validate()
		})
	if err != nil {
		return nil, err
	}
	return &notificationv1.UpdateTeamResponse{Team: pbconv.Team(t)}, nil
}

// DeleteTeam implements the RPC.
func (p *People) DeleteTeam(ctx context.Context, req *notificationv1.DeleteTeamRequest) (*notificationv1.DeleteTeamResponse, error) {
	if err := remove(ctx, req.GetOrgId(), req.GetTeamId(), team, p.store.DeleteTeam); err != nil {
		return nil, err
	}
	return &notificationv1.DeleteTeamResponse{}, nil
}
