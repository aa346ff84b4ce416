// Package metrics holds the alerting service's Prometheus metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// Metrics are the alerting service's collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	events        prometheus.Counter
	evaluated     prometheus.Counter
	notifications prometheus.Counter
	failures      prometheus.Counter
}

// New returns the metrics registered on reg (if not nil).
func New(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		events: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alerting_status_events_total",
			Help: "Events of the STATUS stream applied by the alerting service.",
		})),
		evaluated: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alerting_service_evaluations_total",
			Help: "Evaluations of a service's rules, after its events or when an alert was due.",
		})),
		notifications: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alerting_group_notifications_total",
			Help: "AlertGroupNotify events written (notifications asked of the notification service).",
		})),
		failures: promx.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alerting_scheduler_failures_total",
			Help: "Scheduler rounds (due alerts, due groups) that failed and will be retried.",
		})),
	}
}

// StatusEvents counts events applied and the service evaluations they led to.
func (m *Metrics) StatusEvents(events, evaluated int) {
	if m != nil {
		m.events.Add(float64(events))
		m.evaluated.Add(float64(evaluated))
	}
}

// Evaluated counts evaluations the scheduler ran.
func (m *Metrics) Evaluated(n int) {
	if m != nil {
		m.evaluated.Add(float64(n))
	}
}

// Notified counts notifications written.
func (m *Metrics) Notified(n int) {
	if m != nil {
		m.notifications.Add(float64(n))
	}
}

// Failure counts a failed scheduler round.
func (m *Metrics) Failure() {
	if m != nil {
		m.failures.Inc()
	}
}
