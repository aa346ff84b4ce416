// Package public serves the status pages to everyone, without
// authentication: the HTML page and its history, Statuspage's v2 JSON
// documents, Atom and RSS feeds, SVG badges and the subscription
// endpoints, at /status/{slug}/… and, for a request whose Host is a
// page's custom domain, at /…. Everything is rendered from the read model
// and kept as bytes until the page's revision changes.
package public

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/metrics"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
)

// Prefix is where the pages are served by slug.
const Prefix = "/status/"

// Options configure the handler.
type Options struct {
	// PublicURL is the base URL the pages are reached at
	// (https://status.example.com); empty: the scheme and host of each
	// request.
	PublicURL string
	// CacheMaxAge bounds how long a rendering is served (default 1m).
	CacheMaxAge time.Duration
	// LookupTTL is how long a page's revision, looked up in Postgres, is
	// trusted without asking again (0: every request asks). Changes this
	// process commits are seen at once (Forget); those another replica
	// commits within LookupTTL.
	LookupTTL time.Duration
	// Mailer sends email subscribers their confirmation link; nil: email
	// subscriptions are refused (webhook ones are always open).
	Mailer Mailer
}

// Mailer sends email (package mail): here, the confirmation link to an
// address subscribing to a page.
type Mailer interface {
	Send(ctx context.Context, msg mail.Message) error
}

// Handler serves the public pages.
type Handler struct {
	store   *store.Store
	opts    Options
	cache   *cache
	clock   clockwork.Clock
	metrics *metrics.Metrics
	logger  *slog.Logger
	// domains maps custom domains to slugs, reloaded in the background so
	// that no request waits on the database to learn its Host is not one.
	domains atomic.Pointer[map[string]string]

	refsMu sync.Mutex
	refs   map[string]cachedRef // by slug
}

type cachedRef struct {
	ref store.PageRef
	err error // ErrNotFound, also remembered
	at  time.Time
}

// New returns the handler.
func New(st *store.Store, opts Options, clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger) *Handler {
	if opts.CacheMaxAge <= 0 {
		opts.CacheMaxAge = time.Minute
	}
	h := &Handler{store: st, opts: opts, cache: newCache(opts.CacheMaxAge), clock: clock, metrics: m, logger: logger, refs: map[string]cachedRef{}}
	h.domains.Store(&map[string]string{})
	return h
}

// Register mounts the public routes on e, and the rewriting of custom
// domains' requests before routing.
func (h *Handler) Register(e *echo.Echo) {
	e.Pre(h.customDomain)
	g := e.Group("/status/:slug")
	g.GET("", h.page)
	g.GET("/", h.page)
	g.GET("/history", h.history)
	g.GET("/history.atom", h.atom)
	g.GET("/history.rss", h.rss)
	g.GET("/badge.svg", h.badge)
	g.GET("/components/:component/badge.svg", h.componentBadge)
	g.GET("/api/v2/:doc", h.document)
	g.GET("/api/v2/:doc/:filter", h.document)
	g.OPTIONS("/api/v2/*", h.preflight)
	g.POST("/api/v2/subscribers.json", h.subscribe)
	g.DELETE("/api/v2/subscribers/:token", h.unsubscribeAPI)
	g.POST("/subscribe", h.subscribeForm)
	g.GET("/subscriptions/confirm/:token", h.confirm)
	g.GET("/unsubscribe/:token", h.unsubscribePage)
	g.POST("/unsubscribe/:token", h.unsubscribeForm)
}

// Forget drops the revisions looked up, after this process committed a
// change: the next request of each page asks Postgres again.
func (h *Handler) Forget() {
	h.refsMu.Lock()
	clear(h.refs)
	h.refsMu.Unlock()
}

// pageRef looks up the page of a slug and its revision, trusting a recent
// answer for LookupTTL.
func (h *Handler) pageRef(ctx context.Context, slug string) (store.PageRef, error) {
	if h.opts.LookupTTL <= 0 {
		return h.store.PageBySlug(ctx, slug)
	}
	now := time.Now()
	h.refsMu.Lock()
	c, ok := h.refs[slug]
	h.refsMu.Unlock()
	if ok && now.Sub(c.at) < h.opts.LookupTTL {
		return c.ref, c.err
	}
	ref, err := h.store.PageBySlug(ctx, slug)
	if err == nil || errors.Is(err, domain.ErrNotFound) {
		h.refsMu.Lock()
		if len(h.refs) > 10000 { // slugs people made up
			clear(h.refs)
		}
		h.refs[slug] = cachedRef{ref: ref, err: err, at: now}
		h.refsMu.Unlock()
	}
	return ref, err
}

// RefreshDomains reloads the custom domains.
func (h *Handler) RefreshDomains(ctx context.Context) error {
	d, err := h.store.CustomDomains(ctx)
	if err != nil {
		return err
	}
	h.domains.Store(&d)
	return nil
}

// RunDomains reloads the custom domains every interval until ctx ends.
func (h *Handler) RunDomains(ctx context.Context, interval time.Duration) {
	for {
		if err := h.RefreshDomains(ctx); err != nil && ctx.Err() == nil {
			h.logger.Warn("reload custom domains", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-h.clock.After(interval):
		}
	}
}

// customDomain serves a request whose Host is a page's custom domain as
// the page's: /x becomes /status/{slug}/x. The process's health and
// metrics stay where they are.
func (h *Handler) customDomain(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		domains := *h.domains.Load()
		if len(domains) == 0 {
			return next(c)
		}
		host := domain.NormalizeDomain(hostOnly(c.Request().Host))
		slug, ok := domains[host]
		if !ok {
			return next(c)
		}
		r := c.Request()
		switch r.URL.Path {
		case "/livez", "/healthz", "/readyz", "/metrics":
			return next(c)
		}
		path := strings.TrimSuffix(Prefix+slug+r.URL.Path, "/")
		r.URL.Path, r.URL.RawPath = path, ""
		c.Set(customDomainKey, host)
		return next(c)
	}
}

const customDomainKey = "statuspage.custom_domain"

func hostOnly(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// base is the address of the page the request is for: its custom domain,
// or the public URL (or the request's scheme and host) and /status/{slug}.
func (h *Handler) base(c echo.Context, slug string) string {
	if d, ok := c.Get(customDomainKey).(string); ok {
		return c.Scheme() + "://" + d
	}
	if h.opts.PublicURL != "" {
		return strings.TrimSuffix(h.opts.PublicURL, "/") + Prefix + slug
	}
	return c.Scheme() + "://" + c.Request().Host + Prefix + slug
}

// load returns the page's ref and view for the request, from the cache
// when the revision has not changed.
func (h *Handler) load(c echo.Context) (store.PageRef, compat.View, string, error) {
	ctx := c.Request().Context()
	slug := c.Param("slug")
	ref, err := h.pageRef(ctx, slug)
	if err != nil {
		return ref, compat.View{}, "", err
	}
	base := h.base(c, slug)
	now := h.clock.Now()
	if v, ok := h.cache.view(ref.ID, ref.Revision, base, now); ok {
		return ref, v, base, nil
	}
	v, err := h.store.View(ctx, ref.ID, now.Add(-HistoryDays*24*time.Hour))
	if err != nil {
		return ref, v, base, err
	}
	v.URL = base
	h.cache.putView(ref.ID, ref.Revision, base, now, v)
	return ref, v, base, nil
}

// serve sends the document name of the request's page, rendering it with
// render unless the page's revision has it already. JSON errors go to
// API clients, HTML ones to people.
func (h *Handler) serve(c echo.Context, name string, api bool, render func(compat.View) (rendered, error)) error {
	ref, v, base, err := h.load(c)
	if err != nil {
		return h.fail(c, err, api)
	}
	now := h.clock.Now()
	r, ok := h.cache.doc(ref.ID, ref.Revision, base, name, now)
	h.metrics.Render(ok)
	if !ok {
		if r, err = render(v); err != nil {
			return h.fail(c, err, api)
		}
		h.cache.put(ref.ID, ref.Revision, base, name, r)
	}
	return send(c, r, api)
}

// send writes r with its validators: a client that has it gets 304.
func send(c echo.Context, r rendered, api bool) error {
	hdr := c.Response().Header()
	hdr.Set("ETag", r.etag)
	if api {
		hdr.Set("Access-Control-Allow-Origin", "*")
		hdr.Set("Cache-Control", "public, max-age=10")
	} else {
		hdr.Set("Cache-Control", "public, max-age=10, must-revalidate")
	}
	hdr.Set("X-Content-Type-Options", "nosniff")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, r.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, r.contentType, r.body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// fail answers an error as JSON for the API and as a page for people.
func (h *Handler) fail(c echo.Context, err error, api bool) error {
	status, code, msg := http.StatusInternalServerError, httpx.CodeInternal, "The page cannot be shown right now."
	var verr *domain.ValidationError
	switch {
	case errors.Is(err, domain.ErrNotFound):
		status, code, msg = http.StatusNotFound, httpx.CodeNotFound, "There is no such status page."
	case errors.As(err, &verr):
		status, code, msg = http.StatusUnprocessableEntity, httpx.CodeInvalidValue, verr.Error()
	case errors.Is(err, context.Canceled):
		return err
	default:
		h.logger.Error("serve status page", "err", err, "path", c.Request().URL.Path)
	}
	if api {
		c.Response().Header().Set("Access-Control-Allow-Origin", "*")
		return httpx.Errorf(status, code, "%s", msg)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, errorPage(status, msg))
}

func (h *Handler) preflight(c echo.Context) error {
	hdr := c.Response().Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "Content-Type, If-None-Match")
	hdr.Set("Access-Control-Max-Age", "86400")
	return c.NoContent(http.StatusNoContent)
}
