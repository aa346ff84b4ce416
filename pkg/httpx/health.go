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

// Health serves /livez and /healthz (the process is alive: no component
// has given up; /livez is the name Kubernetes' own components use, /healthz
// the one older tooling expects), /readyz (its dependencies answer and it
// is not draining) and /metrics.
//
// A component that is recovering by itself (a database being restarted, a
// connection being re-established) fails readiness only; one that has
// given up calls SetFatal, and liveness fails too, so that an orchestrator
// restarts the process.
type Health struct {
	gatherer prometheus.Gatherer
	draining atomic.Bool

	mu     sync.Mutex
	checks []check
	fatal  map[string]string
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

// SetFatal records that component name cannot recover from err by
// itself: /healthz and /readyz fail from now on, naming it. A second call
// for the same name keeps the first error.
func (h *Health) SetFatal(name string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal == nil {
		h.fatal = map[string]string{}
	}
	if _, ok := h.fatal[name]; !ok {
		h.fatal[name] = err.Error()
	}
}

// fatalErrors returns a copy of what SetFatal recorded, nil if nothing.
func (h *Health) fatalErrors() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.fatal) == 0 {
		return nil
	}
	out := make(map[string]string, len(h.fatal))
	for name, err := range h.fatal {
		out[name] = err
	}
	return out
}

// SetDraining makes /readyz fail so load balancers stop sending traffic
// while the process shuts down.
func (h *Health) SetDraining() { h.draining.Store(true) }

// Register mounts the endpoints on e.
func (h *Health) Register(e *echo.Echo) {
	e.GET("/livez", h.live)
	e.GET("/healthz", h.live)
	e.GET("/readyz", h.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(h.gatherer, promhttp.HandlerOpts{})))
}

func (h *Health) live(c echo.Context) error {
	if fatal := h.fatalErrors(); fatal != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "fatal", "fatal": fatal})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Health) ready(c echo.Context) error {
	if fatal := h.fatalErrors(); fatal != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "fatal", "fatal": fatal})
	}
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
