package compat

import (
	"strconv"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// DocumentationURL is where Statuspage documents its webhook payloads,
// which upstate's follow.
const DocumentationURL = "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/"

// MetaJSON is a webhook payload's meta.
type MetaJSON struct {
	Unsubscribe   string `json:"unsubscribe"`
	Documentation string `json:"documentation"`
}

// PayloadPageJSON is a webhook payload's page.
type PayloadPageJSON struct {
	ID                string `json:"id"`
	StatusIndicator   string `json:"status_indicator"`
	StatusDescription string `json:"status_description"`
}

// ComponentUpdateJSON is a component's status change.
type ComponentUpdateJSON struct {
	CreatedAt   string `json:"created_at"`
	NewStatus   string `json:"new_status"`
	OldStatus   string `json:"old_status"`
	ID          string `json:"id"`
	ComponentID string `json:"component_id"`
}

// PayloadComponentJSON is the component a change is of.
type PayloadComponentJSON struct {
	CreatedAt string `json:"created_at"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
}

// ComponentPayload is the webhook body of a component's status change.
type ComponentPayload struct {
	Meta            MetaJSON             `json:"meta"`
	Page            PayloadPageJSON      `json:"page"`
	ComponentUpdate ComponentUpdateJSON  `json:"component_update"`
	Component       PayloadComponentJSON `json:"component"`
}

// IncidentPayload is the webhook body of an incident (or a maintenance
// window) opened, updated or resolved.
type IncidentPayload struct {
	Meta     MetaJSON        `json:"meta"`
	Page     PayloadPageJSON `json:"page"`
	Incident IncidentJSON    `json:"incident"`
}

func (v View) payloadPage() PayloadPageJSON {
	o := v.Overall()
	return PayloadPageJSON{ID: v.Page.ID, StatusIndicator: string(o.Indicator), StatusDescription: o.Description}
}

// ComponentChange is the payload of the post's change of component c;
// v's page already shows the new status.
func (v View) ComponentChange(c domain.Component, p domain.Post, unsubscribe string) ComponentPayload {
	loc := v.Page.Location()
	return ComponentPayload{
		Meta: MetaJSON{Unsubscribe: unsubscribe, Documentation: DocumentationURL},
		Page: v.payloadPage(),
		ComponentUpdate: ComponentUpdateJSON{
			CreatedAt: Time(p.At, loc), NewStatus: p.Status.ComponentStatus(), OldStatus: p.Previous.ComponentStatus(),
			ID: UpdateID(p), ComponentID: c.ID,
		},
		Component: PayloadComponentJSON{CreatedAt: Time(v.Page.CreatedAt, loc), ID: c.ID, Name: c.Name, Status: p.Status.ComponentStatus()},
	}
}

// UpdateID is the id of the component update a post is.
func UpdateID(p domain.Post) string {
	return "cu_" + p.ServiceID + "_" + strconv.FormatInt(p.Version, 10)
}

// IncidentChange is the payload of an incident opened, updated or resolved.
func (v View) IncidentChange(inc domain.Incident, unsubscribe string) IncidentPayload {
	return IncidentPayload{Meta: MetaJSON{Unsubscribe: unsubscribe, Documentation: DocumentationURL}, Page: v.payloadPage(), Incident: v.Incident(inc)}
}

// MaintenanceChange is the payload of a window scheduled, started or ended.
func (v View) MaintenanceChange(w domain.Window, unsubscribe string) IncidentPayload {
	return IncidentPayload{Meta: MetaJSON{Unsubscribe: unsubscribe, Documentation: DocumentationURL}, Page: v.payloadPage(), Incident: v.Maintenance(w)}
}
