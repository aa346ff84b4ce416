package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/logging"
)

func TestEscapesNUL(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"a":"x\u0000y"}`:   true,
		`{"a":"\u0000"}`:     true,
		`{"a":"\\u0000"}`:    false, // an escaped backslash, then text
		`{"a":"\\\u0000"}`:   true,
		`{"a":"\u00001"}`:    true,
		`{"a":"\u0001"}`:     false,
		`{"a":"x"}`:          false,
		`{"a":"\"\u0000\""}`: true,
	} {
		if got := escapesNUL([]byte(raw)); got != want {
			t.Errorf("escapesNUL(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestTextOnlyInput(t *testing.T) {
	e := NewEcho(logging.Discard(), prometheus.NewRegistry(), Options{})
	e.POST("/x/:id", func(c echo.Context) error {
		var v struct{ Title string }
		if err := DecodeJSON(c, &v); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	for _, tt := range []struct {
		query, body string
		want        int
	}{
		{"1", `{"title":"ok"}`, http.StatusNoContent},
		{"%80", `{"title":"ok"}`, http.StatusBadRequest},
		{"a%00", `{"title":"ok"}`, http.StatusBadRequest},
		{"1?service=%80", `{"title":"ok"}`, http.StatusBadRequest},
		{"1?service=a%00b", `{"title":"ok"}`, http.StatusBadRequest},
		{"1?%80=1", `{"title":"ok"}`, http.StatusBadRequest},
		{"1", `{"title":"a\u0000b"}`, http.StatusUnprocessableEntity},
	} {
		req := httptest.NewRequest(http.MethodPost, "/x/"+tt.query, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s %s: %d %s, want %d", tt.query, tt.body, rec.Code, rec.Body, tt.want)
		}
	}
}
