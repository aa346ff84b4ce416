package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
)

func (h *Handler) listRules(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.rules.ListRules(ctx, &alertingv1.ListRulesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[ruleJSON]{Data: []ruleJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, r := range resp.GetRules() {
		out.Data = append(out.Data, toRuleJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createRule(c echo.Context) error {
	var body ruleBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, _, err := body.spec()
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.rules.CreateRule(ctx, &alertingv1.CreateRuleRequest{OrgId: principal(c).OrgID, Spec: spec})
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/alert-rules/"+resp.GetRule().GetId())
	return c.JSON(http.StatusCreated, toRuleJSON(resp.GetRule()))
}

func (h *Handler) getRule(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.rules.GetRule(ctx, &alertingv1.GetRuleRequest{OrgId: principal(c).OrgID, RuleId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toRuleJSON(resp.GetRule()))
}

func (h *Handler) updateRule(c echo.Context) error {
	var body ruleBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	spec, given, err := body.spec()
	if err != nil {
		return err
	}
	if len(given) == 0 {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "give at least one field to change: %s", ruleFields)
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.rules.UpdateRule(ctx, &alertingv1.UpdateRuleRequest{
		OrgId: principal(c).OrgID, RuleId: c.Param("id"), Spec: spec, UpdateMask: &fieldmaskpb.FieldMask{Paths: given},
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toRuleJSON(resp.GetRule()))
}

func (h *Handler) deleteRule(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.rules.DeleteRule(ctx, &alertingv1.DeleteRuleRequest{OrgId: principal(c).OrgID, RuleId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// listAlertsRequest reads the query of GET /alerts: state (absent lists
// all), service_id, rule_id, limit and cursor.
func listAlertsRequest(c echo.Context) (*alertingv1.ListAlertsRequest, error) {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	req := &alertingv1.ListAlertsRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service_id"), RuleId: c.QueryParam("rule_id"),
		PageSize: int32(limit), PageToken: cursor,
	}
	if s := c.QueryParam("state"); s != "" {
		if req.State, err = parseEnum(alertStateNames, "state", s, "pending, firing, resolved"); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listAlerts(c echo.Context) error {
	req, err := listAlertsRequest(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.alerts.ListAlerts(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[alertJSON]{Data: []alertJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, a := range resp.GetAlerts() {
		out.Data = append(out.Data, toAlertJSON(a))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) getAlert(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.alerts.GetAlert(ctx, &alertingv1.GetAlertRequest{OrgId: principal(c).OrgID, AlertId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toAlertJSON(resp.GetAlert()))
}

type ackBody struct {
	Note string `json:"note"`
}

// ackAlert takes an optional body: a POST without one acknowledges
// without a note.
func (h *Handler) ackAlert(c echo.Context) error {
	var body ackBody
	if c.Request().ContentLength != 0 {
		if err := httpx.DecodeJSON(c, &body); err != nil {
			return err
		}
	}
	p := principal(c)
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.alerts.AcknowledgeAlert(ctx, &alertingv1.AcknowledgeAlertRequest{
		OrgId: p.OrgID, AlertId: c.Param("id"), Note: body.Note, Actor: p.KeyID,
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toAlertJSON(resp.GetAlert()))
}

func (h *Handler) unackAlert(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	p := principal(c)
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.alerts.UnacknowledgeAlert(ctx, &alertingv1.UnacknowledgeAlertRequest{OrgId: p.OrgID, AlertId: c.Param("id"), Actor: p.KeyID})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toAlertJSON(resp.GetAlert()))
}

func (h *Handler) listSilences(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	req := &alertingv1.ListSilencesRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor}
	switch c.QueryParam("active") {
	case "", "false":
	case "true":
		req.ActiveOnly = true
	default:
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "active must be true or false")
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.silences.ListSilences(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[silenceJSON]{Data: []silenceJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, s := range resp.GetSilences() {
		out.Data = append(out.Data, toSilenceJSON(s))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createSilence(c echo.Context) error {
	var body createSilenceBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	p := principal(c)
	req, err := body.request(p.OrgID, p.KeyID)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.silences.CreateSilence(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/silences/"+resp.GetSilence().GetId())
	return c.JSON(http.StatusCreated, toSilenceJSON(resp.GetSilence()))
}

func (h *Handler) getSilence(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.silences.GetSilence(ctx, &alertingv1.GetSilenceRequest{OrgId: principal(c).OrgID, SilenceId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toSilenceJSON(resp.GetSilence()))
}

// deleteSilence expires the silence and answers it, like the DELETE of a
// maintenance window: it is kept, ended now.
func (h *Handler) deleteSilence(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.silences.DeleteSilence(ctx, &alertingv1.DeleteSilenceRequest{OrgId: principal(c).OrgID, SilenceId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toSilenceJSON(resp.GetSilence()))
}

type dependenciesBody struct {
	DependsOn *[]string `json:"depends_on"`
}

func (h *Handler) setDependencies(c echo.Context) error {
	var body dependenciesBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	if body.DependsOn == nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "depends_on is required (an empty list removes every dependency)")
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.dependencies.SetDependencies(ctx, &alertingv1.SetDependenciesRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), DependsOn: *body.DependsOn,
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, dependenciesJSON{ServiceID: resp.GetServiceId(), DependsOn: append([]string{}, resp.GetDependsOn()...)})
}

func (h *Handler) getDependencies(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.dependencies.GetDependencies(ctx, &alertingv1.GetDependenciesRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, dependenciesJSON{ServiceID: resp.GetServiceId(), DependsOn: append([]string{}, resp.GetDependsOn()...)})
}
