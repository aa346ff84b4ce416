package grpcapi

import (
	"context"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
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
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec := applyUser(domain.UserSpec{}, req.GetSpec(), userFields)
	if err := spec.Validate(); err != nil {
		return nil, toStatus(err, user)
	}
	now := pgdb.Now(p.clock)
	u := domain.User{ID: ids.New(ids.User), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
	if err := p.store.CreateUser(ctx, u); err != nil {
		return nil, toStatus(err, user)
	}
	return &notificationv1.CreateUserResponse{User: pbconv.User(u)}, nil
}

// GetUser implements the RPC.
func (p *People) GetUser(ctx context.Context, req *notificationv1.GetUserRequest) (*notificationv1.GetUserResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	u, err := p.store.GetUser(ctx, req.GetOrgId(), req.GetUserId())
	if err != nil {
		return nil, toStatus(err, user)
	}
	return &notificationv1.GetUserResponse{User: pbconv.User(u)}, nil
}

// ListUsers implements the RPC.
func (p *People) ListUsers(ctx context.Context, req *notificationv1.ListUsersRequest) (*notificationv1.ListUsersResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	size, before, err := page(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := p.store.ListUsers(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, user)
	}
	resp := &notificationv1.ListUsersResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(u domain.User) string { return grpcx.EncodeToken(u.ID) })
	for _, u := range list {
		resp.Users = append(resp.Users, pbconv.User(u))
	}
	return resp, nil
}

// UpdateUser implements the RPC.
func (p *People) UpdateUser(ctx context.Context, req *notificationv1.UpdateUserRequest) (*notificationv1.UpdateUserResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	fields := req.GetUpdateMask().GetPaths()
	if err := checkMask(fields, userFields, user); err != nil {
		return nil, err
	}
	now := pgdb.Now(p.clock)
	u, err := p.store.UpdateUser(ctx, req.GetOrgId(), req.GetUserId(), func(u domain.User) (domain.User, error) {
		u.Spec = applyUser(u.Spec, req.GetSpec(), fields)
		u.UpdatedAt = now
		return u, u.Spec.Validate()
	})
	if err != nil {
		return nil, toStatus(err, user)
	}
	return &notificationv1.UpdateUserResponse{User: pbconv.User(u)}, nil
}

// DeleteUser implements the RPC.
func (p *People) DeleteUser(ctx context.Context, req *notificationv1.DeleteUserRequest) (*notificationv1.DeleteUserResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := p.store.DeleteUser(ctx, req.GetOrgId(), req.GetUserId()); err != nil {
		return nil, toStatus(err, user)
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
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec := applyTeam(domain.TeamSpec{}, req.GetSpec(), teamFields)
	if err := spec.Validate(); err != nil {
		return nil, toStatus(err, team)
	}
	now := pgdb.Now(p.clock)
	t := domain.Team{ID: ids.New(ids.Team), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
	if err := p.store.CreateTeam(ctx, t); err != nil {
		return nil, toStatus(err, team)
	}
	return &notificationv1.CreateTeamResponse{Team: pbconv.Team(t)}, nil
}

// GetTeam implements the RPC.
func (p *People) GetTeam(ctx context.Context, req *notificationv1.GetTeamRequest) (*notificationv1.GetTeamResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	t, err := p.store.GetTeam(ctx, req.GetOrgId(), req.GetTeamId())
	if err != nil {
		return nil, toStatus(err, team)
	}
	return &notificationv1.GetTeamResponse{Team: pbconv.Team(t)}, nil
}

// ListTeams implements the RPC.
func (p *People) ListTeams(ctx context.Context, req *notificationv1.ListTeamsRequest) (*notificationv1.ListTeamsResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	size, before, err := page(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := p.store.ListTeams(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, team)
	}
	resp := &notificationv1.ListTeamsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(t domain.Team) string { return grpcx.EncodeToken(t.ID) })
	for _, t := range list {
		resp.Teams = append(resp.Teams, pbconv.Team(t))
	}
	return resp, nil
}

// UpdateTeam implements the RPC.
func (p *People) UpdateTeam(ctx context.Context, req *notificationv1.UpdateTeamRequest) (*notificationv1.UpdateTeamResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	fields := req.GetUpdateMask().GetPaths()
	if err := checkMask(fields, teamFields, team); err != nil {
		return nil, err
	}
	now := pgdb.Now(p.clock)
	t, err := p.store.UpdateTeam(ctx, req.GetOrgId(), req.GetTeamId(), func(t domain.Team) (domain.Team, error) {
		t.Spec = applyTeam(t.Spec, req.GetSpec(), fields)
		t.UpdatedAt = now
		return t, t.Spec.Validate()
	})
	if err != nil {
		return nil, toStatus(err, team)
	}
	return &notificationv1.UpdateTeamResponse{Team: pbconv.Team(t)}, nil
}

// DeleteTeam implements the RPC.
func (p *People) DeleteTeam(ctx context.Context, req *notificationv1.DeleteTeamRequest) (*notificationv1.DeleteTeamResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := p.store.DeleteTeam(ctx, req.GetOrgId(), req.GetTeamId()); err != nil {
		return nil, toStatus(err, team)
	}
	return &notificationv1.DeleteTeamResponse{}, nil
}
