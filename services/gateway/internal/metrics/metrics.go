// Package metrics holds the gateway's Prometheus metrics: deliveries by
// result, receiver lookups by outcome and the state of the breaker in front
// of the status service.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/promx"
)

// Delivery results counted besides the four the delivery log records
// (processed, ignored, failed, auth_failed).
const (
	ResultDuplicate   = "duplicate"
	ResultKeyReused   = "key_reused"
	ResultRateLimited = "rate_limited"
	ResultNotFound    = "not_found"
	ResultDisabled    = "disabled"
	ResultTooLarge    = "too_large"
	ResultUnavailable = "unavailable"
	ResultError       = "error"
)

// Receiver lookup outcomes.
const (
	LookupHit         = "hit"
	LookupNegativeHit = "negative_hit"
	LookupMiss        = "miss"
	LookupStale       = "stale"
	LookupUnavailable = "unavailable"
)

// Every result and outcome, so their counters exist (at zero) from the start
// and the hot path finds them without hashing label values.
var (
	results  = []string{"processed", "ignored", "failed", "auth_failed", ResultDuplicate, ResultKeyReused, ResultRateLimited, ResultNotFound, ResultDisabled, ResultTooLarge, ResultUnavailable, ResultError}
	outcomes = []string{LookupHit, LookupNegativeHit, LookupMiss, LookupStale, LookupUnavailable}
)

// Metrics are the gateway's collectors. A nil *Metrics records nothing.
type Metrics struct {
	deliveries *prometheus.CounterVec
	lookups    *prometheus.CounterVec
	breaker    prometheus.Gauge
	// Read-only after New, so lookups need no lock.
	byResult  map[string]prometheus.Counter
	byOutcome map[string]prometheus.Counter
}

// New returns the gateway's metrics registered on reg (if not nil). When
// several gateways share a registry, they share the collectors.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_webhook_deliveries_total",
			Help: "Webhook deliveries answered by the gateway, by result.",
		}, []string{"result"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_receiver_lookups_total",
			Help: "Token to receiver lookups, by outcome (hit, negative_hit, miss, stale, unavailable).",
		}, []string{"outcome"}),
		breaker: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_status_breaker_state",
			Help: "State of the circuit breaker in front of the status service: 0 closed, 1 half-open, 2 open.",
		}),
	}
	m.deliveries = promx.Register(reg, m.deliveries)
	m.lookups = promx.Register(reg, m.lookups)
	m.breaker = promx.Register(reg, m.breaker)
	m.byResult = children(m.deliveries, results)
	m.byOutcome = children(m.lookups, outcomes)
	return m
}

func children(vec *prometheus.CounterVec, labels []string) map[string]prometheus.Counter {
	out := make(map[string]prometheus.Counter, len(labels))
	for _, l := range labels {
		out[l] = vec.WithLabelValues(l)
	}
	return out
}

// Delivery counts one delivery with its result.
func (m *Metrics) Delivery(result string) {
	if m == nil {
		return
	}
	if c, ok := m.byResult[result]; ok {
		c.Inc()
		return
	}
	m.deliveries.WithLabelValues(result).Inc()
}

// Lookup counts one receiver lookup with its outcome.
func (m *Metrics) Lookup(outcome string) {
	if m == nil {
		return
	}
	if c, ok := m.byOutcome[outcome]; ok {
		c.Inc()
		return
	}
	m.lookups.WithLabelValues(outcome).Inc()
}

// BreakerState records the breaker's state (0 closed, 1 half-open, 2 open).
func (m *Metrics) BreakerState(state int) {
	if m != nil {
		m.breaker.Set(float64(state))
	}
}
