// Package metrics holds the status page service's Prometheus metrics:
// the events applied to its read model, page renderings and subscriber
// deliveries.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// Metrics are the status page service's collectors. A nil *Metrics
// records nothing.
type Metrics struct {
	events     *prometheus.CounterVec
	renders    *prometheus.CounterVec
	deliveries *prometheus.CounterVec
}

// New returns the metrics registered on reg (if not nil).
func New(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		events: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statuspage_events_total",
			Help: "Events of the STATUS and INCIDENTS streams handled by the status page service: applied, stale (already known) or ignored (a type it does not use).",
		}, []string{"stream", "result"})),
		renders: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statuspage_renders_total",
			Help: "Public documents served, from the cache of rendered bytes (hit) or rendered again (miss).",
		}, []string{"result"})),
		deliveries: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statuspage_deliveries_total",
			Help: "Subscriber messages handed to the delivery queue: delivered (enqueued), retried or failed (given up).",
		}, []string{"result"})),
	}
}

// Events counts n events of stream by what became of them.
func (m *Metrics) Events(stream, result string, n int) {
	if m != nil && n > 0 {
		m.events.WithLabelValues(stream, result).Add(float64(n))
	}
}

// Render counts a document served from the cache or rendered.
func (m *Metrics) Render(hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.renders.WithLabelValues("hit").Inc()
	} else {
		m.renders.WithLabelValues("miss").Inc()
	}
}

// Delivery counts a hand-off of a delivery to the queue by its result.
func (m *Metrics) Delivery(result string) {
	if m != nil {
		m.deliveries.WithLabelValues(result).Inc()
	}
}
