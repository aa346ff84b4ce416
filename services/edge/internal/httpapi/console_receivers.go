package httpapi

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// receiversPage is the receiver list and the form to create one.
type receiversPage struct {
	Receivers []receiverJSON
	Next      string
	Services  []serviceJSON
	Schemes   []string
	// Receiver is nil: the form creates one (the edit form shares it).
	Receiver *receiverJSON
	// Names are the services' names by id, for the list.
	Names map[string]string
}

// signatureSchemes are the schemes the status service verifies.
var signatureSchemes = []string{"hex", "sha256=", "base64", "standard-webhooks"}

func (cn *Console) receivers(c echo.Context) error {
	resp, err := invoke(cn.h, c, cn.h.receivers.ListReceivers, &statusv1.ListReceiversRequest{
		OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor"),
	})
	if err != nil {
		return err
	}
	out := receiversPage{Next: resp.GetNextPageToken(), Schemes: signatureSchemes}
	for _, r := range resp.GetReceivers() {
		out.Receivers = append(out.Receivers, toReceiverJSON(r))
	}
	if out.Services, err = cn.choosableServices(c); err != nil {
		return err
	}
	out.Names = map[string]string{}
	for _, s := range out.Services {
		out.Names[s.ID] = s.Name
	}
	return cn.render(c, http.StatusOK, "receivers", view{Title: "Webhook receivers", Section: "/console/receivers", Data: out})
}

// choosableServices are the services a form offers, when the key may read
// them (a form without the list still takes ids).
func (cn *Console) choosableServices(c echo.Context) ([]serviceJSON, error) {
	if !(view{P: principal(c)}).Can("services", "read") {
		return nil, nil
	}
	list, err := cn.serviceList(c, "")
	return list.Services, err
}

// receiverForm reads the receiver form into the REST API's bodies' parts.
func receiverForm(c echo.Context) (mapping map[string]string, sig *signatureBody, auto *autoIncidentBody, err error) {
	if mapping, err = parseMapping(c.FormValue("status_mapping")); err != nil {
		return nil, nil, nil, err
	}
	if secret := form(c, "signature_secret"); secret != "" {
		sig = &signatureBody{Secret: secret, Scheme: form(c, "signature_scheme"), Header: form(c, "signature_header")}
	}
	auto = &autoIncidentBody{Enabled: form(c, "auto_incident") == "on", Severity: formPtr(c, "auto_incident_severity")}
	return mapping, sig, auto, nil
}

// tokenPage shows a receiver's URL and token, once: after it is created
// or its token rotated.
type tokenPage struct {
	Receiver receiverJSON
	Created  bool
}

func (cn *Console) createReceiver(c echo.Context) error {
	mapping, sig, auto, err := receiverForm(c)
	if err != nil {
		return err
	}
	body := createReceiverBody{
		Name: form(c, "name"), ServiceID: formPtr(c, "service_id"), ServiceNameField: formPtr(c, "service_name_field"),
		StatusField: formPtr(c, "status_field"), MessageField: formPtr(c, "message_field"),
		StatusMapping: mapping, Signature: sig, AutoIncident: auto,
	}
	out := tokenPage{Created: true}
	if err := cn.submitDecode(c, http.MethodPost, "/webhook-receivers", body, &out.Receiver); err != nil {
		return err
	}
	return cn.render(c, http.StatusCreated, "token", view{Title: "Receiver created", Section: "/console/receivers", Data: out})
}

// receiverPage is a receiver, its edit form and its delivery log.
type receiverPage struct {
	Receiver   receiverJSON
	Services   []serviceJSON
	Schemes    []string
	Deliveries []deliveryJSON
	// Result and Status filter the log; Results and Statuses are their
	// choices.
	Result, Status    string
	Results, Statuses []string
	Total             int
}

var deliveryResults = []string{"processed", "ignored", "failed", "auth_failed"}

func (cn *Console) receiver(c echo.Context) error {
	p := principal(c)
	ctx, cancel := cn.h.call(c)
	defer cancel()
	r, err := cn.h.receivers.GetReceiver(ctx, &statusv1.GetReceiverRequest{OrgId: p.OrgID, ReceiverId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	log, err := cn.h.receivers.ListDeliveries(ctx, &statusv1.ListDeliveriesRequest{OrgId: p.OrgID, ReceiverId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	out := receiverPage{
		Receiver: toReceiverJSON(r.GetReceiver()), Schemes: signatureSchemes,
		Result: c.QueryParam("result"), Status: c.QueryParam("status"),
		Results: deliveryResults, Statuses: statusChoices, Total: len(log.GetDeliveries()),
	}
	// The log is 50 entries at most: filtering them here costs nothing.
	for _, d := range log.GetDeliveries() {
		dj := toDeliveryJSON(d)
		if (out.Result == "" || dj.Result == out.Result) && (out.Status == "" || dj.MappedStatus == out.Status) {
			out.Deliveries = append(out.Deliveries, dj)
		}
	}
	if out.Services, err = cn.choosableServices(c); err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "receiver", view{Title: out.Receiver.Name, Section: "/console/receivers", Live: true, Data: out})
}

func (cn *Console) updateReceiver(c echo.Context) error {
	mapping, sig, auto, err := receiverForm(c)
	if err != nil {
		return err
	}
	body := updateReceiverBody{
		Name: set(form(c, "name")), Enabled: set(form(c, "enabled") == "on"),
		StatusField: set(form(c, "status_field")), MessageField: set(form(c, "message_field")),
		StatusMapping: set(mapping), AutoIncident: set(*auto),
	}
	// The form always has both ways of choosing the service; the one left
	// empty is cleared.
	for _, f := range []struct {
		field string
		dst   *optional[string]
	}{{"service_id", &body.ServiceID}, {"service_name_field", &body.ServiceNameField}} {
		if v := form(c, f.field); v != "" {
			*f.dst = set(v)
		} else {
			*f.dst = optional[string]{set: true, null: true}
		}
	}
	// The secret is never shown, so an empty one keeps the signature as it
	// is; "remove" drops it.
	switch {
	case form(c, "signature_remove") == "on":
		body.Signature = optional[signatureBody]{set: true, null: true}
	case sig != nil:
		body.Signature = set(*sig)
	}
	if _, err := cn.submit(c, http.MethodPatch, "/webhook-receivers/"+url.PathEscape(c.Param("id")), body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/receivers/"+c.Param("id"))
}

func (cn *Console) rotateReceiver(c echo.Context) error {
	var out tokenPage
	if err := cn.submitDecode(c, http.MethodPost, "/webhook-receivers/"+url.PathEscape(c.Param("id"))+"/rotate-token", nil, &out.Receiver); err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "token", view{Title: "Token rotated", Section: "/console/receivers", Data: out})
}
