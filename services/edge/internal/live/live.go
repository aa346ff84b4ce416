// Package live tells the operator console's open pages that something of
// their organisation changed: it subscribes to the subjects of the STATUS
// and INCIDENTS streams of each organisation that has a page open, and
// hands every event on to that organisation's pages.
//
// It uses a core NATS subscription, not a consumer: a page only needs to
// hear that it should fetch itself again, from now on, and a message the
// stream later drops as a duplicate (a relay's retry) costs one extra
// fetch. Nothing is acknowledged or stored for a page.
package live

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
)

// Kinds of events, named after their stream.
const (
	KindStatus    = "status"    // a service's status changed
	KindIncidents = "incidents" // an incident or a maintenance window changed
)

// Event is one change: its kind and the id of what changed (a service, an
// incident or a maintenance window).
type Event struct {
	Kind string
	ID   string
}

// buffer is how many events a slow page may have waiting; past it, events
// are dropped for that page, which still gets the ones after: any event
// makes it fetch everything again.
const buffer = 16

// Hub fans events out to the pages of each organisation.
type Hub struct {
	nc     *nats.Conn
	logger *slog.Logger

	mu   sync.Mutex
	orgs map[string]*org
}

// org is an organisation's subscriptions and the pages listening.
type org struct {
	subs      []*nats.Subscription
	listeners map[chan Event]struct{}
}

// NewHub returns a hub over nc.
func NewHub(nc *nats.Conn, logger *slog.Logger) *Hub {
	return &Hub{nc: nc, logger: logger, orgs: map[string]*org{}}
}

// Listen returns the events of the organisation from now on, and a
// function to stop listening, which the caller must call.
func (h *Hub) Listen(orgID string) (<-chan Event, func(), error) {
	if orgID == "" || strings.ContainsAny(orgID, ".*> ") {
		return nil, nil, fmt.Errorf("organisation id %q cannot be a subject token", orgID)
	}
	ch := make(chan Event, buffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orgs[orgID]
	if !ok {
		o = &org{listeners: map[chan Event]struct{}{}}
		for _, s := range []struct{ subject, kind string }{
			{bus.StatusSubject(orgID, "*"), KindStatus},
			{bus.IncidentsSubject(orgID, "*"), KindIncidents},
		} {
			sub, err := h.nc.Subscribe(s.subject, h.deliver(orgID, s.kind))
			if err != nil {
				unsubscribe(o.subs)
				return nil, nil, fmt.Errorf("subscribe to %s: %w", s.subject, err)
			}
			o.subs = append(o.subs, sub)
		}
		h.orgs[orgID] = o
	}
	o.listeners[ch] = struct{}{}
	return ch, func() { h.stop(orgID, ch) }, nil
}

func (h *Hub) stop(orgID string, ch chan Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orgs[orgID]
	if !ok {
		return
	}
	delete(o.listeners, ch)
	if len(o.listeners) == 0 {
		unsubscribe(o.subs)
		delete(h.orgs, orgID)
	}
}

func unsubscribe(subs []*nats.Subscription) {
	for _, s := range subs {
		_ = s.Unsubscribe() // fails only on a closed connection, which has none left
	}
}

// deliver hands a message of the organisation's subject to its pages.
func (h *Hub) deliver(orgID, kind string) nats.MsgHandler {
	return func(m *nats.Msg) {
		e := Event{Kind: kind, ID: m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]}
		h.mu.Lock()
		defer h.mu.Unlock()
		o, ok := h.orgs[orgID]
		if !ok {
			return
		}
		for ch := range o.listeners {
			select {
			case ch <- e:
			default:
				h.logger.Debug("console page slow; event dropped", "org_id", orgID)
			}
		}
	}
}
