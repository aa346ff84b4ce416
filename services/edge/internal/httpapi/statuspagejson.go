package httpapi

import (
	"time"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
)

// componentJSON is a page's component in the REST API.
type componentJSON struct {
	ID                 string `json:"id"`
	ServiceID          string `json:"service_id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	Group              string `json:"group"`
	Position           int32  `json:"position"`
	OnlyShowIfDegraded bool   `json:"only_show_if_degraded"`
	Status             string `json:"status"`
}

// statusPageJSON is a status page in the REST API.
type statusPageJSON struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	TimeZone     string          `json:"time_zone"`
	CustomDomain *string         `json:"custom_domain"`
	URL          string          `json:"url"`
	Components   []componentJSON `json:"components"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

var componentStatusNames = map[statusv1.Status]string{
	statusv1.Status_STATUS_OPERATIONAL: "operational",
	statusv1.Status_STATUS_DEGRADED:    "degraded",
	statusv1.Status_STATUS_DOWN:        "down",
	statusv1.Status_STATUS_MAINTENANCE: "maintenance",
}

// toStatusPageJSON is a page with its public address: the one the status
// page service knows, or base/status/{slug}.
func toStatusPageJSON(p *statuspagev1.Page, base string) statusPageJSON {
	out := statusPageJSON{
		ID: p.GetId(), Name: p.GetName(), Slug: p.GetSlug(), TimeZone: p.GetTimeZone(), URL: p.GetUrl(),
		Components: []componentJSON{}, CreatedAt: p.GetCreatedAt().AsTime(), UpdatedAt: p.GetUpdatedAt().AsTime(),
	}
	if out.URL == "" {
		out.URL = base + "/status/" + p.GetSlug()
	}
	if d := p.GetCustomDomain(); d != "" {
		out.CustomDomain = &d
	}
	for _, c := range p.GetComponents() {
		out.Components = append(out.Components, componentJSON{
			ID: c.GetId(), ServiceID: c.GetServiceId(), Name: c.GetName(), Description: c.GetDescription(), Group: c.GetGroup(),
			Position: c.GetPosition(), OnlyShowIfDegraded: c.GetOnlyShowIfDegraded(), Status: componentStatusNames[c.GetStatus()],
		})
	}
	return out
}

// componentBody is a component as a request gives it.
type componentBody struct {
	ServiceID          string `json:"service_id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	Group              string `json:"group"`
	Position           int32  `json:"position"`
	OnlyShowIfDegraded bool   `json:"only_show_if_degraded"`
}

func componentInputs(in []componentBody) []*statuspagev1.ComponentInput {
	out := make([]*statuspagev1.ComponentInput, 0, len(in))
	for _, c := range in {
		out = append(out, &statuspagev1.ComponentInput{
			ServiceId: c.ServiceID, Name: c.Name, Description: c.Description, Group: c.Group,
			Position: c.Position, OnlyShowIfDegraded: c.OnlyShowIfDegraded,
		})
	}
	return out
}

// createStatusPageBody is the body of POST /status-pages; the status page
// service checks the values.
type createStatusPageBody struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	TimeZone     string          `json:"time_zone"`
	CustomDomain string          `json:"custom_domain"`
	Components   []componentBody `json:"components"`
}

func (b createStatusPageBody) request(orgID string) *statuspagev1.CreatePageRequest {
	return &statuspagev1.CreatePageRequest{
		OrgId: orgID, Name: b.Name, Slug: b.Slug, TimeZone: b.TimeZone, CustomDomain: b.CustomDomain, Components: componentInputs(b.Components),
	}
}

// updateStatusPageBody is the body of PATCH /status-pages/:id: the fields
// to change. custom_domain may be null (no custom domain); components
// replace the page's.
type updateStatusPageBody struct {
	Name         optional[string]          `json:"name"`
	Slug         optional[string]          `json:"slug"`
	TimeZone     optional[string]          `json:"time_zone"`
	CustomDomain optional[string]          `json:"custom_domain"`
	Components   optional[[]componentBody] `json:"components"`
}

const updatableStatusPageFields = "name, slug, time_zone, custom_domain, components"

func (b updateStatusPageBody) request(orgID, id string) (*statuspagev1.UpdatePageRequest, error) {
	domain := b.CustomDomain.field("custom_domain")
	domain.null = false // null clears it
	if err := checkChanges(updatableStatusPageFields, b.Name.field("name"), b.Slug.field("slug"), b.TimeZone.field("time_zone"),
		domain, b.Components.field("components")); err != nil {
		return nil, err
	}
	req := &statuspagev1.UpdatePageRequest{OrgId: orgID, PageId: id}
	for _, f := range []struct {
		o   optional[string]
		dst **string
	}{{b.Name, &req.Name}, {b.Slug, &req.Slug}, {b.TimeZone, &req.TimeZone}, {b.CustomDomain, &req.CustomDomain}} {
		if f.o.set {
			v := f.o.value
			*f.dst = &v
		}
	}
	if b.Components.set {
		req.ReplaceComponents, req.Components = true, componentInputs(b.Components.value)
	}
	return req, nil
}

// subscriberJSON is a page's subscriber in the REST API.
type subscriberJSON struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Email      string    `json:"email,omitempty"`
	Endpoint   string    `json:"endpoint,omitempty"`
	Components []string  `json:"components"`
	Confirmed  bool      `json:"confirmed"`
	CreatedAt  time.Time `json:"created_at"`
}

func toSubscriberJSON(s *statuspagev1.Subscriber) subscriberJSON {
	kind := "webhook"
	if s.GetKind() == statuspagev1.SubscriberKind_SUBSCRIBER_KIND_EMAIL {
		kind = "email"
	}
	comps := s.GetComponentIds()
	if comps == nil {
		comps = []string{}
	}
	return subscriberJSON{
		ID: s.GetId(), Kind: kind, Email: s.GetEmail(), Endpoint: s.GetUrl(), Components: comps,
		Confirmed: s.GetConfirmed(), CreatedAt: s.GetCreatedAt().AsTime(),
	}
}
