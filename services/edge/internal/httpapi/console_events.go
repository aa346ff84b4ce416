package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/live"
)

// Server-sent events of the console.
const (
	// eventsKeepAlive is how often an idle stream gets a comment, so that
	// proxies do not close it.
	eventsKeepAlive = 15 * time.Second
	// eventsLifetime ends each stream, so that a session that ended (its
	// key revoked, say) stops hearing events within it; the browser
	// reconnects at once (retry), through the session check, and the page
	// fetches itself again, so nothing is missed. A stream also ends when
	// the edge starts shutting down (httpx.Closing), so it never holds up
	// a drain.
	eventsLifetime = time.Minute
	eventsRetry    = 1000 // milliseconds
)

// eventResources are the scopes that see each kind of event: a key that
// may not read incidents is not told that one changed.
var eventResources = map[string]string{live.KindStatus: "services", live.KindIncidents: "incidents"}

// events streams the signed-in organisation's status and incident events
// (kind and id, no more: pages fetch what they show themselves) as
// server-sent events.
func (cn *Console) events(c echo.Context) error {
	if cn.hub == nil {
		return httpx.Errorf(http.StatusServiceUnavailable, httpx.CodeUnavailable, "live updates are off: the edge has no NATS connection")
	}
	p := principal(c)
	events, stop, err := cn.hub.Listen(p.OrgID)
	if err != nil {
		return err
	}
	defer stop()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// The listener's write timeout is for ordinary responses; this one
	// ends by itself (eventsLifetime).
	_ = rc.SetWriteDeadline(time.Time{}) // not every writer supports deadlines; the stream is short anyway
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", eventsRetry); err != nil {
		return nil
	}
	w.Flush()
	keepAlive := cn.h.clock.NewTicker(eventsKeepAlive)
	defer keepAlive.Stop()
	end := cn.h.clock.After(eventsLifetime)
	ctx := c.Request().Context()
	closing := httpx.Closing(ctx)
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-closing:
			return nil
		case <-end:
			return nil
		case <-keepAlive.Chan():
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		case e := <-events:
			if !auth.Allows(p.Scopes, eventResources[e.Kind], auth.Read) {
				continue
			}
			_, err = fmt.Fprintf(w, "event: %s\ndata: {\"id\":%q}\n\n", e.Kind, e.ID)
		}
		if err != nil {
			return nil // the browser went away
		}
		w.Flush()
	}
}
