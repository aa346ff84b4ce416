package httpx

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health serves /healthz (the process is alive), /readyz (its dependencies
// answer and it is not draining) and /metrics.
type Health struct {
	gatherer prometheus.Gatherer
	draining atomic.Bool

	mu     sync.Mutex
	checks []check
}

type check struct {
	name string
	fn   func(context.Context) error
}

// NewHealth returns a Health exposing the metrics of gatherer.
func NewHealth(gatherer prometheus.Gatherer) *Health {
	return &Health{gatherer: gatherer}
}

// AddCheck adds a readiness check; /readyz fails while any check fails.
// A check of the same name is replaced: a component started again
// brings its own.
func (h *Health) AddCheck(name string, fn func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.checks {
		if c.name == name {
			h.checks[i].fn = fn
			return
		}
	}
	h.checks = append(h.checks, check{name, fn})
}

// SetDraining makes /readyz fail so load balancers stop sending traffic
// while the process shuts down.
func (h *Health) SetDraining() { h.draining.Store(true) }

// Register mounts the endpoints on e.
func (h *Health) Register(e *echo.Echo) {
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", h.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(h.gatherer, promhttp.HandlerOpts{})))
}

func (h *Health) ready(c echo.Context) error {
	if h.draining.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "draining"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	h.mu.Lock()
	checks := append([]check(nil), h.checks...)
	h.mu.Unlock()
	failed := map[string]string{}
	for _, ch := range checks {
		if err := ch.fn(ctx); err != nil {
			failed[ch.name] = err.Error()
		}
	}
	if len(failed) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": failed})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
