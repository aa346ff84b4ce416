package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// stuckWriter is a log destination that holds every write until released,
// as a full pipe or a stalled disk does.
type stuckWriter struct {
	entered chan struct{} // receives once per write that starts
	release chan struct{} // closed to let writes through
	mu      sync.Mutex
	buf     strings.Builder
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.entered <- struct{}{}
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *stuckWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// A writer that cannot keep up never holds a request: once the buffer is
// full, lines are dropped and counted, and Close writes what was buffered.
func TestAccessLogNeverBlocksARequest(t *testing.T) {
	t.Parallel()
	const buffer, extra = 4, 10
	w := newStuckWriter()
	reg := prometheus.NewRegistry()
	logger := logging.New(w, logging.Options{Format: "json"})
	access := NewAccessLog(logger, reg, buffer)
	e := NewEcho(logger, reg, Options{AccessLog: access})
	e.GET("/ok", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	serve := func() { e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/ok", nil)) }

	serve()
	select { // the writer has taken the first line and is stuck writing it
	case <-w.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the access log's writer never started writing")
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		for range buffer + extra {
			serve()
		}
	}()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("requests waited for a stuck access log")
	}
	b := &budgetEnv{t: t, reg: reg}
	if got := b.counter("http_access_log_dropped_total"); got != extra {
		t.Fatalf("dropped lines counted %d, want %d (the buffer holds %d)", got, extra, buffer)
	}
	if got := b.counter("http_requests_total"); got != 1+buffer+extra {
		t.Fatalf("http_requests_total counts %d, want %d", got, 1+buffer+extra)
	}

	close(w.release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := access.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(w.String(), `"msg":"http request"`); got != 1+buffer {
		t.Fatalf("%d lines written, want the first and the %d buffered ones:\n%s", got, buffer, w.String())
	}
}

// A line written by the writer is the one the request would have written:
// same fields, its request id, and the time the request ended.
func TestAccessLogLineIsTheRequests(t *testing.T) {
	t.Parallel()
	logs := &testenv.LogBuffer{}
	logger := logging.New(logs, logging.Options{Format: "json"})
	access := NewAccessLog(logger, nil, 0)
	e := NewEcho(logger, nil, Options{AccessLog: access})
	e.GET("/things/:id", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
	req := httptest.NewRequest(http.MethodGet, "/things/42?x=1", nil)
	req.Header.Set(echo.HeaderXRequestID, "req-1")
	req.RemoteAddr = "192.0.2.7:1234"
	before := time.Now()
	e.ServeHTTP(httptest.NewRecorder(), req)
	if err := access.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	line := logs.String()
	for _, want := range []string{
		`"level":"INFO","msg":"http request","method":"GET","path":"/things/42","route":"/things/:id","status":200,"bytes":5,`,
		`"remote_ip":"192.0.2.7","request_id":"req-1"}`,
	} {
		if !strings.Contains(line, want) {
			t.Fatalf("line %s lacks %s", line, want)
		}
	}
	if i := strings.Index(line, `"time":"`); i < 0 {
		t.Fatalf("no time in %s", line)
	} else if at, err := time.Parse(time.RFC3339Nano, line[i+8:i+8+strings.IndexByte(line[i+8:], '"')]); err != nil || at.Before(before) {
		t.Fatalf("time %v (%v) is not when the request ended", at, err)
	}
}

// Flush returns once earlier lines are written; Close stops the writer and
// a Flush after it returns at once.
func TestAccessLogFlushAndClose(t *testing.T) {
	t.Parallel()
	logs := &testenv.LogBuffer{}
	logger := logging.New(logs, logging.Options{Format: "json"})
	access := NewAccessLog(logger, nil, 0)
	e := NewEcho(logger, nil, Options{AccessLog: access})
	e.GET("/ok", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for range 100 {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/ok", nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := access.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(logs.String(), `"msg":"http request"`); got != 100 {
		t.Fatalf("%d lines after Flush, want 100", got)
	}
	if err := access.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := access.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := access.Flush(ctx); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
}
