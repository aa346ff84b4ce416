package delivery

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// metrics are the workers' collectors.
type metrics struct {
	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		outcomes: promx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notification_deliveries_total",
			Help: "Deliveries of notifications by outcome: delivered, retried, dead, breaker_open (deferred untried), leased (another worker holds it), duplicate.",
		}, []string{"outcome"})),
		latency: promx.Register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "notification_delivery_attempt_seconds",
			Help:    "Duration of delivery attempts (HTTP or SMTP).",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 9),
		})),
	}
}

func (m *metrics) outcome(o string) { m.outcomes.WithLabelValues(o).Inc() }
