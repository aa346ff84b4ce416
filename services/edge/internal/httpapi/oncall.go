package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

func mask(given []string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: given} }

func (h *Handler) listUsers(c echo.Context) error {
	return listPage(h, c, h.users.ListUsers, func(c echo.Context, size int32, token string) (*notificationv1.ListUsersRequest, error) {
		return &notificationv1.ListUsersRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListUsersResponse).GetUsers, toUserJSON)
}

func (h *Handler) createUser(c echo.Context) error {
	return create(h, c, "/api/v1/users/", h.users.CreateUser, func(b userBody) (*notificationv1.CreateUserRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreateUserRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*notificationv1.CreateUserResponse).GetUser, toUserJSON)
}

func (h *Handler) getUser(c echo.Context) error {
	req := &notificationv1.GetUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.users.GetUser, req, (*notificationv1.GetUserResponse).GetUser, toUserJSON)
}

func (h *Handler) updateUser(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.users.UpdateUser, func(b userBody) (*notificationv1.UpdateUserRequest, error) {
		spec, given, err := specChanges(b.spec, userFields)
		return &notificationv1.UpdateUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*notificationv1.UpdateUserResponse).GetUser, toUserJSON)
}

func (h *Handler) deleteUser(c echo.Context) error {
	return replyEmpty(h, c, h.users.DeleteUser, &notificationv1.DeleteUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id")})
}

func (h *Handler) listTeams(c echo.Context) error {
	return listPage(h, c, h.teams.ListTeams, func(c echo.Context, size int32, token string) (*notificationv1.ListTeamsRequest, error) {
		return &notificationv1.ListTeamsRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListTeamsResponse).GetTeams, toTeamJSON)
}

func (h *Handler) createTeam(c echo.Context) error {
	return create(h, c, "/api/v1/teams/", h.teams.CreateTeam, func(b teamBody) (*notificationv1.CreateTeamRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreateTeamRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*notificationv1.CreateTeamResponse).GetTeam, toTeamJSON)
}

func (h *Handler) getTeam(c echo.Context) error {
	req := &notificationv1.GetTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.teams.GetTeam, req, (*notificationv1.GetTeamResponse).GetTeam, toTeamJSON)
}

func (h *Handler) updateTeam(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.teams.UpdateTeam, func(b teamBody) (*notificationv1.UpdateTeamRequest, error) {
		spec, given, err := specChanges(b.spec, teamFields)
		return &notificationv1.UpdateTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*notificationv1.UpdateTeamResponse).GetTeam, toTeamJSON)
}

func (h *Handler) deleteTeam(c echo.Context) error {
	return replyEmpty(h, c, h.teams.DeleteTeam, &notificationv1.DeleteTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id")})
}

func (h *Handler) listPolicies(c echo.Context) error {
	return listPage(h, c, h.policies.ListPolicies, func(c echo.Context, size int32, token string) (*notificationv1.ListPoliciesRequest, error) {
		return &notificationv1.ListPoliciesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListPoliciesResponse).GetPolicies, toPolicyJSON)
}

func (h *Handler) createPolicy(c echo.Context) error {
	return create(h, c, "/api/v1/escalation-policies/", h.policies.CreatePolicy, func(b policyBody) (*notificationv1.CreatePolicyRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreatePolicyRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*notificationv1.CreatePolicyResponse).GetPolicy, toPolicyJSON)
}

func (h *Handler) getPolicy(c echo.Context) error {
	req := &notificationv1.GetPolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.policies.GetPolicy, req, (*notificationv1.GetPolicyResponse).GetPolicy, toPolicyJSON)
}

func (h *Handler) updatePolicy(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.policies.UpdatePolicy, func(b policyBody) (*notificationv1.UpdatePolicyRequest, error) {
		spec, given, err := specChanges(b.spec, policyFields)
		return &notificationv1.UpdatePolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*notificationv1.UpdatePolicyResponse).GetPolicy, toPolicyJSON)
}

func (h *Handler) deletePolicy(c echo.Context) error {
	return replyEmpty(h, c, h.policies.DeletePolicy, &notificationv1.DeletePolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id")})
}

func (h *Handler) listRoutes(c echo.Context) error {
	return listPage(h, c, h.routes.ListRoutes, func(c echo.Context, size int32, token string) (*notificationv1.ListRoutesRequest, error) {
		return &notificationv1.ListRoutesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListRoutesResponse).GetRoutes, toRouteJSON)
}

func (h *Handler) createRoute(c echo.Context) error {
	return create(h, c, "/api/v1/routes/", h.routes.CreateRoute, func(b routeBody) (*notificationv1.CreateRouteRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreateRouteRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*notificationv1.CreateRouteResponse).GetRoute, toRouteJSON)
}

func (h *Handler) getRoute(c echo.Context) error {
	req := &notificationv1.GetRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.routes.GetRoute, req, (*notificationv1.GetRouteResponse).GetRoute, toRouteJSON)
}

func (h *Handler) updateRoute(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.routes.UpdateRoute, func(b routeBody) (*notificationv1.UpdateRouteRequest, error) {
		spec, given, err := specChanges(b.spec, routeFields)
		return &notificationv1.UpdateRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*notificationv1.UpdateRouteResponse).GetRoute, toRouteJSON)
}

func (h *Handler) deleteRoute(c echo.Context) error {
	return replyEmpty(h, c, h.routes.DeleteRoute, &notificationv1.DeleteRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id")})
}

// queryTime reads an optional RFC 3339 query parameter: nil when absent.
func queryTime(c echo.Context, name string) (*timestamppb.Timestamp, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	return parseTime(name, s)
}
