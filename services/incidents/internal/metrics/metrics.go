// Package metrics holds the incidents service's Prometheus metrics: what
// status changes did to automatic incidents, and what maintenance windows
// did.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// Metrics are the incidents service's collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	auto        *prometheus.CounterVec
	maintenance *prometheus.CounterVec
	failures    prometheus.Counter
}

// New returns the metrics registered on reg (if not nil).
func New(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		auto: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidents_status_changes_total",
			Help: "Events of the STATUS stream handled by the incidents service, by what they did to automatic incidents (opened, noted, resolved, none, stale; ignored for events other than status changes).",
		}, []string{"action"})),
		maintenance: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidents_maintenance_transitions_total",
			Help: "Maintenance windows started, ended (completed) and cancelled.",
		}, []string{"transition"})),
		failures: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidents_maintenance_failures_total",
			Help: "Attempts to start or end a maintenance window that failed and will be retried.",
		})),
	}
}

// StatusChange counts a status change by what it did.
func (m *Metrics) StatusChange(action string) {
	if m != nil {
		m.auto.WithLabelValues(action).Inc()
	}
}

// Maintenance counts a window's transition.
func (m *Metrics) Maintenance(transition string) {
	if m != nil {
		m.maintenance.WithLabelValues(transition).Inc()
	}
}

// MaintenanceFailure counts a failed attempt on a window.
func (m *Metrics) MaintenanceFailure() {
	if m != nil {
		m.failures.Inc()
	}
}
