package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// budgetEnv is a listener whose refused requests may write perSecond
// access-log lines a second of its fake clock.
type budgetEnv struct {
	t      testing.TB
	clock  *clockwork.FakeClock
	logs   *testenv.LogBuffer
	reg    *prometheus.Registry
	echo   *echo.Echo
	access *AccessLog // nil: lines written by the requests themselves
}

// logModes are the two ways a listener writes its access log; the tests
// of what is logged run in both.
var logModes = []struct {
	name  string
	async bool
}{{"synchronous", false}, {"asynchronous", true}}

func newBudgetEnv(t testing.TB, perSecond int, async bool) *budgetEnv {
	t.Helper()
	b := &budgetEnv{
		t:     t,
		clock: clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)),
		logs:  &testenv.LogBuffer{},
		reg:   prometheus.NewRegistry(),
	}
	logger := logging.New(b.logs, logging.Options{Format: "json"})
	if async {
		b.access = NewAccessLog(logger, b.reg, 0)
		t.Cleanup(func() { _ = b.access.Close(context.Background()) })
	}
	b.echo = NewEcho(logger, b.reg,
		Options{Clock: b.clock, RefusedLogLines: perSecond, BodyLimit: 8, AccessLog: b.access})
	b.echo.GET("/ok", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	b.echo.POST("/ok", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	b.echo.GET("/boom", func(echo.Context) error { return errors.New("boom") })
	b.echo.GET("/unavailable", func(echo.Context) error { return Unavailable("down", errors.New("nats")) })
	b.echo.GET("/key", func(echo.Context) error { return Errorf(http.StatusUnauthorized, CodeUnauthorized, "no key") })
	b.echo.GET("/slow-down", func(echo.Context) error {
		return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Message: "slow down", RetryAfter: 1}
	})
	b.echo.GET("/bad", func(echo.Context) error { return Errorf(http.StatusBadRequest, CodeBadRequest, "bad") })
	return b
}

func (b *budgetEnv) serve(method, target string) int {
	body := ""
	if method == http.MethodPost {
		body = "more than eight bytes"
	}
	rec := httptest.NewRecorder()
	b.echo.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	return rec.Code
}

// flush waits until the lines of the requests served so far are written.
func (b *budgetEnv) flush() {
	b.t.Helper()
	if b.access == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.access.Flush(ctx); err != nil {
		b.t.Fatalf("flush the access log: %v", err)
	}
}

// lines counts the access-log lines written so far.
func (b *budgetEnv) lines() int {
	b.flush()
	return strings.Count(b.logs.String(), `"msg":"http request"`)
}

// counter sums the counter called name over its labels.
func (b *budgetEnv) counter(name string) int {
	b.t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		b.t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return int(n)
}

// Refused requests (4xx), which anyone can send without credentials,
// write at most the budget's lines a second; every request is counted.
func TestAccessLogBudgetsRefusedRequests(t *testing.T) {
	t.Parallel()
	for _, mode := range logModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testAccessLogBudgetsRefusedRequests(t, mode.async)
		})
	}
}

func testAccessLogBudgetsRefusedRequests(t *testing.T, async bool) {
	const perSecond = 10
	b := newBudgetEnv(t, perSecond, async)
	refused := []struct {
		method, target string
		code           int
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound},
		{http.MethodGet, "/key", http.StatusUnauthorized},
		{http.MethodGet, "/slow-down", http.StatusTooManyRequests},
		{http.MethodPost, "/ok", http.StatusRequestEntityTooLarge},
		{http.MethodGet, "/bad", http.StatusBadRequest},
		{http.MethodDelete, "/ok", http.StatusMethodNotAllowed},
	}

	const n = 1000
	for i := range n {
		r := refused[i%len(refused)]
		if code := b.serve(r.method, r.target); code != r.code {
			t.Fatalf("%s %s answered %d, want %d", r.method, r.target, code, r.code)
		}
	}

	if got := b.lines(); got != perSecond {
		t.Fatalf("%d refused requests wrote %d access-log lines, want %d:\n%s", n, got, perSecond, b.logs.String())
	}
	if got := b.counter("http_access_log_suppressed_total"); got != n-perSecond {
		t.Fatalf("suppressed lines counted %d, want %d", got, n-perSecond)
	}
	if got := b.counter("http_requests_total"); got != n {
		t.Fatalf("http_requests_total counts %d requests, want %d", got, n)
	}

	// With the budget spent, successes and server errors are still logged.
	for _, target := range []string{"/ok", "/boom", "/unavailable"} {
		b.serve(http.MethodGet, target)
	}
	got := b.lines()
	logs := b.logs.String()
	if got != perSecond+3 {
		t.Fatalf("%d access-log lines, want the budget's %d and three more:\n%s", got, perSecond, logs)
	}
	for _, status := range []string{`"status":204`, `"status":500`, `"status":503`} {
		if !strings.Contains(logs, status) {
			t.Fatalf("no access-log line with %s:\n%s", status, logs)
		}
	}

	// The next second has a budget again, and one line says how many
	// lines the last one dropped.
	b.clock.Advance(time.Second)
	before := b.lines()
	b.serve(http.MethodGet, "/nowhere")
	if got := b.lines(); got != before+1 {
		t.Fatalf("a refused request a second later wrote %d lines, want 1", got-before)
	}
	if !strings.Contains(b.logs.String(), `"msg":"access log lines suppressed","suppressed":990,"second":"2026-03-01T12:00:00Z"`) {
		t.Fatalf("no line tells of the 990 suppressed lines:\n%s", b.logs.String())
	}
}

// Concurrent refused requests share one budget exactly.
func TestAccessLogBudgetIsSharedByConcurrentRequests(t *testing.T) {
	t.Parallel()
	for _, mode := range logModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testAccessLogBudgetIsShared(t, mode.async)
		})
	}
}

func testAccessLogBudgetIsShared(t *testing.T, async bool) {
	const perSecond, workers, each = 25, 8, 125
	b := newBudgetEnv(t, perSecond, async)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				b.serve(http.MethodGet, "/nowhere")
			}
		})
	}
	wg.Wait()
	if got := b.lines(); got != perSecond {
		t.Fatalf("%d access-log lines, want %d", got, perSecond)
	}
	if got := b.counter("http_access_log_suppressed_total"); got != workers*each-perSecond {
		t.Fatalf("suppressed lines counted %d, want %d", got, workers*each-perSecond)
	}
}
