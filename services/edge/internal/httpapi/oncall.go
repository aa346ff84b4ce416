package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// created answers 201 with v and where the record is.
func created(c echo.Context, location string, v any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return c.JSON(http.StatusCreated, v)
}

func mask(given []string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: given} }

func (h *Handler) listUsers(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.users.ListUsers(ctx, &notificationv1.ListUsersRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[userJSON]{Data: []userJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, u := range resp.GetUsers() {
		out.Data = append(out.Data, toUserJSON(u))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createUser(c echo.Context) error {
	var body userBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.users.CreateUser(ctx, &notificationv1.CreateUserRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	return created(c, "/api/v1/users/"+resp.GetUser().GetId(), toUserJSON(resp.GetUser()))
}

func (h *Handler) getUser(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.users.GetUser(ctx, &notificationv1.GetUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toUserJSON(resp.GetUser()))
}

func (h *Handler) updateUser(c echo.Context) error {
	var body userBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if err := requireChanges(given, userFields); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.users.UpdateUser(ctx, &notificationv1.UpdateUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id"), Spec: spec, UpdateMask: mask(given)})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toUserJSON(resp.GetUser()))
}

func (h *Handler) deleteUser(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.users.DeleteUser(ctx, &notificationv1.DeleteUserRequest{OrgId: principal(c).OrgID, UserId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listTeams(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.teams.ListTeams(ctx, &notificationv1.ListTeamsRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[teamJSON]{Data: []teamJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, t := range resp.GetTeams() {
		out.Data = append(out.Data, toTeamJSON(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createTeam(c echo.Context) error {
	var body teamBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.teams.CreateTeam(ctx, &notificationv1.CreateTeamRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	return created(c, "/api/v1/teams/"+resp.GetTeam().GetId(), toTeamJSON(resp.GetTeam()))
}

func (h *Handler) getTeam(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.teams.GetTeam(ctx, &notificationv1.GetTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toTeamJSON(resp.GetTeam()))
}

func (h *Handler) updateTeam(c echo.Context) error {
	var body teamBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if err := requireChanges(given, teamFields); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.teams.UpdateTeam(ctx, &notificationv1.UpdateTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id"), Spec: spec, UpdateMask: mask(given)})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toTeamJSON(resp.GetTeam()))
}

func (h *Handler) deleteTeam(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.teams.DeleteTeam(ctx, &notificationv1.DeleteTeamRequest{OrgId: principal(c).OrgID, TeamId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listPolicies(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.policies.ListPolicies(ctx, &notificationv1.ListPoliciesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[policyJSON]{Data: []policyJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, p := range resp.GetPolicies() {
		out.Data = append(out.Data, toPolicyJSON(p))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createPolicy(c echo.Context) error {
	var body policyBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.policies.CreatePolicy(ctx, &notificationv1.CreatePolicyRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	return created(c, "/api/v1/escalation-policies/"+resp.GetPolicy().GetId(), toPolicyJSON(resp.GetPolicy()))
}

func (h *Handler) getPolicy(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.policies.GetPolicy(ctx, &notificationv1.GetPolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toPolicyJSON(resp.GetPolicy()))
}

func (h *Handler) updatePolicy(c echo.Context) error {
	var body policyBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if err := requireChanges(given, policyFields); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.policies.UpdatePolicy(ctx, &notificationv1.UpdatePolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id"), Spec: spec, UpdateMask: mask(given)})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toPolicyJSON(resp.GetPolicy()))
}

func (h *Handler) deletePolicy(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.policies.DeletePolicy(ctx, &notificationv1.DeletePolicyRequest{OrgId: principal(c).OrgID, PolicyId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listRoutes(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.routes.ListRoutes(ctx, &notificationv1.ListRoutesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[routeJSON]{Data: []routeJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, r := range resp.GetRoutes() {
		out.Data = append(out.Data, toRouteJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createRoute(c echo.Context) error {
	var body routeBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.routes.CreateRoute(ctx, &notificationv1.CreateRouteRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	return created(c, "/api/v1/routes/"+resp.GetRoute().GetId(), toRouteJSON(resp.GetRoute()))
}

func (h *Handler) getRoute(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.routes.GetRoute(ctx, &notificationv1.GetRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toRouteJSON(resp.GetRoute()))
}

func (h *Handler) updateRoute(c echo.Context) error {
	var body routeBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if err := requireChanges(given, routeFields); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.routes.UpdateRoute(ctx, &notificationv1.UpdateRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id"), Spec: spec, UpdateMask: mask(given)})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toRouteJSON(resp.GetRoute()))
}

func (h *Handler) deleteRoute(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.routes.DeleteRoute(ctx, &notificationv1.DeleteRouteRequest{OrgId: principal(c).OrgID, RouteId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// queryTime reads an optional RFC 3339 query parameter: nil when absent.
func queryTime(c echo.Context, name string) (*timestamppb.Timestamp, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	return parseTime(name, s)
}
