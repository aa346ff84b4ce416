package service

import (
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// routeTracers names each HTTP request's spans after the unit that
// registered its route, so that on bin/upstate's one listener a webhook
// is the gateway's and an API call the edge's; other routes (health,
// metrics) are the host's.
type routeTracers struct {
	host trace.Tracer
	// byRoute maps "METHOD /route" to its unit's tracer; copied on
	// write, so that requests read it without a lock.
	byRoute atomic.Pointer[map[string]trace.Tracer]
	mu      sync.Mutex
}

func newRouteTracers(tp trace.TracerProvider) *routeTracers {
	r := &routeTracers{host: tp.Tracer(tracing.Tracer)}
	r.byRoute.Store(&map[string]trace.Tracer{})
	return r
}

func (r *routeTracers) tracer(method, route string) trace.Tracer {
	if t, ok := (*r.byRoute.Load())[method+" "+route]; ok {
		return t
	}
	return r.host
}

// register runs add, which registers a unit's routes on e, and traces
// the routes it added with tp.
func (r *routeTracers) register(e *echo.Echo, tp trace.TracerProvider, add func(*echo.Echo)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	before := map[string]bool{}
	for _, rt := range e.Routes() {
		before[rt.Method+" "+rt.Path] = true
	}
	add(e)
	next := map[string]trace.Tracer{}
	for k, t := range *r.byRoute.Load() {
		next[k] = t
	}
	t := tp.Tracer(tracing.Tracer)
	for _, rt := range e.Routes() {
		if k := rt.Method + " " + rt.Path; !before[k] {
			next[k] = t
		}
	}
	r.byRoute.Store(&next)
}
