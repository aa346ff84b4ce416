// Package metrics holds the SLA service's Prometheus metrics: what STATUS
// events did to the intervals, and the SLO events evaluations fired.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// Metrics are the SLA service's collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	events      *prometheus.CounterVec
	slo         *prometheus.CounterVec
	evalFailure prometheus.Counter
}

// New returns the metrics registered on reg (if not nil).
func New(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		events: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sla_status_events_total",
			Help: "Events of the STATUS stream handled by the SLA service: applied, stale (a transition already known) or ignored (a type the SLA service does not use).",
		}, []string{"result"})),
		slo: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sla_slo_events_total",
			Help: "SLO events fired: burning, burn_stopped, exhausted, recovered.",
		}, []string{"event"})),
		evalFailure: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sla_slo_evaluation_failures_total",
			Help: "SLO evaluations that failed and will be retried.",
		})),
	}
}

// StatusEvent counts a STATUS event by what became of it.
func (m *Metrics) StatusEvent(result string) {
	if m != nil {
		m.events.WithLabelValues(result).Inc()
	}
}

// SLOEvent counts an SLO event fired.
func (m *Metrics) SLOEvent(event string) {
	if m != nil {
		m.slo.WithLabelValues(event).Inc()
	}
}

// EvaluationFailure counts a failed evaluation.
func (m *Metrics) EvaluationFailure() {
	if m != nil {
		m.evalFailure.Inc()
	}
}
