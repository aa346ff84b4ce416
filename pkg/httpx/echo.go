package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/logging"
)

// Options configure NewEcho.
type Options struct {
	// BodyLimit caps request bodies in bytes (default 1 MiB).
	BodyLimit int64
	// RedactPath rewrites a request path before it is logged, so that
	// secrets carried in URLs (webhook tokens) never reach the logs.
	// Whatever it returns, every run of 64 or more hex digits in a logged
	// path is shortened too; the query string is never logged.
	RedactPath func(path string) string
	// Clock is what the access log's budget for refused requests goes by
	// (default: the wall clock).
	Clock clockwork.Clock
	// RefusedLogLines is how many access-log lines of refused requests
	// (4xx) are written a second at most (default
	// DefaultRefusedLogLines), so that a flood of them cannot flood the
	// logs. The rest are counted in http_access_log_suppressed_total;
	// http_requests_total counts every request.
	RefusedLogLines int
	// AccessLog, when set, writes the access log off the request path,
	// from a bounded buffer (see AccessLog); the caller closes it after
	// the listener stops. Without one, each request writes its own line
	// before its handler returns.
	AccessLog *AccessLog
	// Tracers, when set, traces every request (see tracing); nil leaves
	// requests untraced at no cost.
	Tracers Tracers
}

// NewEcho returns an echo instance with the shared middleware: panic
// recovery, request ids, tracing when on, body limit, access log and
// metrics, and the JSON error envelope.
func NewEcho(logger *slog.Logger, reg prometheus.Registerer, opts Options) *echo.Echo {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 1 << 20
	}
	if opts.RedactPath == nil {
		opts.RedactPath = func(p string) string { return p }
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.RefusedLogLines <= 0 {
		opts.RefusedLogLines = DefaultRefusedLogLines
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = ErrorHandler(logger)
	m := newHTTPMetrics(reg)
	budget := newLogBudget(opts.RefusedLogLines, opts.Clock)
	write := func(line accessLine) { writeAccessLine(logger, line) }
	if opts.AccessLog != nil {
		write = opts.AccessLog.add
	}
	mw := []echo.MiddlewareFunc{requestID}
	if opts.Tracers != nil {
		// Outside the access log, so that its line has the trace id.
		mw = append(mw, traceRequests(opts.Tracers))
	}
	mw = append(mw, accessLog(logger, m, budget, opts.RedactPath, write), recoverPanic(logger), bodyLimit(opts.BodyLimit), textInput)
	e.Use(mw...)
	return e
}

// textInput answers 400 to path or query parameters that are not text:
// invalid UTF-8 cannot travel in a protobuf string to the services, and
// Postgres refuses NUL in text. Refusing them here gives every endpoint a
// clear error instead of a failure deep inside.
func textInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for i, v := range c.ParamValues() {
			if !IsText(v) {
				return Errorf(http.StatusBadRequest, CodeBadRequest, "path parameter %s is not valid UTF-8 text", c.ParamNames()[i])
			}
		}
		if c.Request().URL.RawQuery == "" {
			return next(c) // parsing an empty query would still allocate
		}
		for name, values := range c.QueryParams() {
			for _, v := range values {
				if !IsText(v) || !IsText(name) {
					return Errorf(http.StatusBadRequest, CodeBadRequest, "query parameter %q is not valid UTF-8 text", strings.ToValidUTF8(name, "?"))
				}
			}
		}
		return next(c)
	}
}

// IsText reports whether s is valid UTF-8 without NUL characters.
func IsText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

const maxRequestIDLen = 128

func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if id == "" || len(id) > maxRequestIDLen || !printable(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		req := c.Request()
		c.SetRequest(req.WithContext(logging.WithRequestID(req.Context(), id)))
		return next(c)
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// accessLog counts and times every request and hands its line to write:
// the listener's AccessLog, or a synchronous writer. The path is redacted
// by whoever writes the line.
func accessLog(logger *slog.Logger, m *httpMetrics, budget *logBudget, redact func(string) string, write func(accessLine)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				// Render now so the logged status is the one sent.
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			end := time.Now()
			elapsed := end.Sub(start)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			m.observe(req.Method, route, res.Status, elapsed)
			if refused(res.Status) {
				ok, dropped, second := budget.take()
				if dropped > 0 {
					// Not under this request's id: the line is about others.
					logger.Warn("access log lines suppressed", "suppressed", dropped, "second", second,
						"limit_per_second", budget.perSecond)
				}
				if !ok {
					m.suppressed.Inc()
					return nil
				}
			}
			write(accessLine{
				at: end, requestID: logging.RequestID(req.Context()), span: trace.SpanContextFromContext(req.Context()),
				method: req.Method, path: req.URL.Path, redact: redact, route: route,
				status: res.Status, bytes: res.Size, elapsed: elapsed, remoteIP: c.RealIP(),
			})
			return nil
		}
	}
}

func recoverPanic(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					logger.ErrorContext(c.Request().Context(), "http handler panicked", "route", c.Path(), "panic", r)
					err = Errorf(http.StatusInternalServerError, CodeInternal, "internal error")
				}
			}()
			return next(c)
		}
	}
}

func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return Errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
					"request body exceeds %d bytes", limit)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

type httpMetrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	suppressed prometheus.Counter

	// series caches the children of requests and duration by method,
	// route and status: looking them up in the vectors hashes the labels
	// and allocates on every request. It is copied on write, so that
	// requests read it without a lock.
	series  atomic.Pointer[map[seriesKey]series]
	seriesM sync.Mutex
}

// seriesKey is the labels of one request's series.
type seriesKey struct {
	method, route string
	status        int
}

// series is one combination's counter and histogram.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// maxCachedSeries bounds the cache: methods come from clients, so past
// this many combinations the rest are looked up in the vectors each time.
const maxCachedSeries = 512

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method and route template.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"method", "route"}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "http_access_log_suppressed_total",
			Help: "Access-log lines of refused requests (4xx) not written because the listener's budget of lines a second was spent; http_requests_total counts every request.",
		}),
	}
	m.series.Store(&map[seriesKey]series{})
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.suppressed)
	}
	return m
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	k := seriesKey{method, route, status}
	s, ok := (*m.series.Load())[k]
	if !ok {
		s = m.addSeries(k)
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// addSeries looks k's series up in the vectors and caches them while the
// cache has room.
func (m *httpMetrics) addSeries(k seriesKey) series {
	s := series{
		requests: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		duration: m.duration.WithLabelValues(k.method, k.route),
	}
	m.seriesM.Lock()
	defer m.seriesM.Unlock()
	old := *m.series.Load()
	if _, ok := old[k]; ok || len(old) >= maxCachedSeries {
		return s
	}
	next := make(map[seriesKey]series, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}
