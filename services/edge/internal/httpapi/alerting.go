package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
)

func (h *Handler) listRules(c echo.Context) error {
	return listPage(h, c, h.rules.ListRules, func(c echo.Context, size int32, token string) (*alertingv1.ListRulesRequest, error) {
		return &alertingv1.ListRulesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*alertingv1.ListRulesResponse).GetRules, toRuleJSON)
}

func (h *Handler) createRule(c echo.Context) error {
	return create(h, c, "/api/v1/alert-rules/", h.rules.CreateRule, func(b ruleBody) (*alertingv1.CreateRuleRequest, error) {
		spec, _, err := b.spec()
		return &alertingv1.CreateRuleRequest{OrgId: principal(c).OrgID, Spec: spec}, err
	}, (*alertingv1.CreateRuleResponse).GetRule, toRuleJSON)
}

func (h *Handler) getRule(c echo.Context) error {
	req := &alertingv1.GetRuleRequest{OrgId: principal(c).OrgID, RuleId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.rules.GetRule, req, (*alertingv1.GetRuleResponse).GetRule, toRuleJSON)
}

func (h *Handler) updateRule(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.rules.UpdateRule, func(b ruleBody) (*alertingv1.UpdateRuleRequest, error) {
		spec, given, err := specChanges(b.spec, ruleFields)
		return &alertingv1.UpdateRuleRequest{OrgId: principal(c).OrgID, RuleId: c.Param("id"), Spec: spec, UpdateMask: mask(given)}, err
	}, (*alertingv1.UpdateRuleResponse).GetRule, toRuleJSON)
}

func (h *Handler) deleteRule(c echo.Context) error {
	return replyEmpty(h, c, h.rules.DeleteRule, &alertingv1.DeleteRuleRequest{OrgId: principal(c).OrgID, RuleId: c.Param("id")})
}

// listAlertsRequest reads the query of GET /alerts (a listQuery): state
// (absent lists all), service_id and rule_id.
func listAlertsRequest(c echo.Context, size int32, token string) (*alertingv1.ListAlertsRequest, error) {
	req := &alertingv1.ListAlertsRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service_id"), RuleId: c.QueryParam("rule_id"),
		PageSize: size, PageToken: token,
	}
	if s := c.QueryParam("state"); s != "" {
		var err error
		if req.State, err = parseEnum(alertStateNames, "state", s, "pending, firing, resolved"); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listAlerts(c echo.Context) error {
	return listPage(h, c, h.alerts.ListAlerts, listAlertsRequest, (*alertingv1.ListAlertsResponse).GetAlerts, toAlertJSON)
}

func (h *Handler) getAlert(c echo.Context) error {
	req := &alertingv1.GetAlertRequest{OrgId: principal(c).OrgID, AlertId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.alerts.GetAlert, req, (*alertingv1.GetAlertResponse).GetAlert, toAlertJSON)
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
	req := &alertingv1.AcknowledgeAlertRequest{OrgId: p.OrgID, AlertId: c.Param("id"), Note: body.Note, Actor: p.KeyID}
	return reply(h, c, http.StatusOK, h.alerts.AcknowledgeAlert, req, (*alertingv1.AcknowledgeAlertResponse).GetAlert, toAlertJSON)
}

func (h *Handler) unackAlert(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	p := principal(c)
	req := &alertingv1.UnacknowledgeAlertRequest{OrgId: p.OrgID, AlertId: c.Param("id"), Actor: p.KeyID}
	return reply(h, c, http.StatusOK, h.alerts.UnacknowledgeAlert, req, (*alertingv1.UnacknowledgeAlertResponse).GetAlert, toAlertJSON)
}

func (h *Handler) listSilences(c echo.Context) error {
	return listPage(h, c, h.silences.ListSilences, func(c echo.Context, size int32, token string) (*alertingv1.ListSilencesRequest, error) {
		req := &alertingv1.ListSilencesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}
		switch c.QueryParam("active") {
		case "", "false":
		case "true":
			req.ActiveOnly = true
		default:
			return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "active must be true or false")
		}
		return req, nil
	}, (*alertingv1.ListSilencesResponse).GetSilences, toSilenceJSON)
}

func (h *Handler) createSilence(c echo.Context) error {
	return create(h, c, "/api/v1/silences/", h.silences.CreateSilence, func(b createSilenceBody) (*alertingv1.CreateSilenceRequest, error) {
		p := principal(c)
		return b.request(p.OrgID, p.KeyID)
	}, (*alertingv1.CreateSilenceResponse).GetSilence, toSilenceJSON)
}

func (h *Handler) getSilence(c echo.Context) error {
	req := &alertingv1.GetSilenceRequest{OrgId: principal(c).OrgID, SilenceId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.silences.GetSilence, req, (*alertingv1.GetSilenceResponse).GetSilence, toSilenceJSON)
}

// deleteSilence expires the silence and answers it, like the DELETE of a
// maintenance window: it is kept, ended now.
func (h *Handler) deleteSilence(c echo.Context) error {
	req := &alertingv1.DeleteSilenceRequest{OrgId: principal(c).OrgID, SilenceId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.silences.DeleteSilence, req, (*alertingv1.DeleteSilenceResponse).GetSilence, toSilenceJSON)
}

type dependenciesBody struct {
	DependsOn *[]string `json:"depends_on"`
}

// dependenciesOf shows the dependencies a set or a get answers.
func dependenciesOf(r interface {
	GetServiceId() string
	GetDependsOn() []string
}) dependenciesJSON {
	return dependenciesJSON{ServiceID: r.GetServiceId(), DependsOn: append([]string{}, r.GetDependsOn()...)}
}

func (h *Handler) setDependencies(c echo.Context) error {
	var body dependenciesBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	if body.DependsOn == nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "depends_on is required (an empty list removes every dependency)")
	}
	resp, err := invoke(h, c, h.dependencies.SetDependencies, &alertingv1.SetDependenciesRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), DependsOn: *body.DependsOn,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dependenciesOf(resp))
}

func (h *Handler) getDependencies(c echo.Context) error {
	resp, err := invoke(h, c, h.dependencies.GetDependencies, &alertingv1.GetDependenciesRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dependenciesOf(resp))
}
