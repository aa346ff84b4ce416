package escalation

import "slices"

// Selector picks services by id and tags, as an alert rule's selector
// does.
type Selector interface {
	Selects(serviceID string, tags map[string]string) bool
}

// Route sends incident events of the kinds Events about services its
// selector picks to ChannelIDs. A nil Services selects no service.
type Route struct {
	Events     []string
	Services   Selector
	ChannelIDs []string
}

// Service is a service an event is about.
type Service struct {
	ID   string
	Tags map[string]string
}

// Channels returns the channels an event of kind about services is
// routed to: those of every route naming the kind and selecting one of
// the services, each once, in route order.
func Channels(routes []Route, kind string, services []Service) []string {
	var out []string
	for _, r := range routes {
		if r.Services == nil || !slices.Contains(r.Events, kind) {
			continue
		}
		if !slices.ContainsFunc(services, func(s Service) bool { return r.Services.Selects(s.ID, s.Tags) }) {
			continue
		}
		for _, c := range r.ChannelIDs {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
