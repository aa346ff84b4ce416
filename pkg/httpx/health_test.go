package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Liveness fails only once a component has given up; a component that is
// recovering fails readiness alone.
func TestHealthLivenessAndReadiness(t *testing.T) {
	t.Parallel()
	h := NewHealth(prometheus.NewRegistry())
	e := echo.New()
	h.Register(e)
	get := func(path string) (int, map[string]any) {
		t.Helper()
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, rec.Body)
		}
		return rec.Code, body
	}
	var dbErr error
	h.AddCheck("db", func(context.Context) error { return dbErr })

	for _, step := range []struct {
		name        string
		do          func()
		live, ready int
		fatal       string // the component /healthz names
	}{
		{"healthy", func() {}, 200, 200, ""},
		{"recovering", func() { dbErr = errors.New("restarting") }, 200, 503, ""},
		{"given up", func() { h.SetFatal("postgres", errors.New("gave up")) }, 503, 503, "postgres"},
		{"the first cause is kept", func() { h.SetFatal("postgres", errors.New("again")) }, 503, 503, "postgres"},
		{"checks pass again, still fatal", func() { dbErr = nil }, 503, 503, "postgres"},
	} {
		step.do()
		code, body := get("/healthz")
		if code != step.live {
			t.Errorf("%s: /healthz %d, want %d", step.name, code, step.live)
		}
		if code, _ := get("/livez"); code != step.live {
			t.Errorf("%s: /livez %d, want %d", step.name, code, step.live)
		}
		if step.fatal != "" {
			if got := body["fatal"].(map[string]any)[step.fatal]; got != "gave up" {
				t.Errorf("%s: /healthz says %v for %s, want the first cause", step.name, body, step.fatal)
			}
		}
		if code, _ := get("/readyz"); code != step.ready {
			t.Errorf("%s: /readyz %d, want %d", step.name, code, step.ready)
		}
	}
}
