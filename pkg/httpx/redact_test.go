package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestRedactHexRuns(t *testing.T) {
	t.Parallel()
	token := strings.Repeat("0123456789abcdef", 4)
	tests := []struct{ name, in, want string }{
		{"no hex", "/api/v1/services", "/api/v1/services"},
		{"empty", "", ""},
		{"63 digits kept", "/" + token[:63], "/" + token[:63]},
		{"64 digits", "/" + token, "/012345…"},
		{"longer run", "/" + token + "ABC", "/012345…"},
		{"upper case", "/x/" + strings.ToUpper(token) + "/y", "/x/012345…/y"},
		{"whole string", token, "012345…"},
		{"glued to other text", "/q" + token + "z", "/q012345…z"},
		{"two runs", "/" + token + "/" + token + "?", "/012345…/012345…?"},
		{"split by a slash", "/" + token[:40] + "/" + token[40:], "/" + token[:40] + "/" + token[40:]},
		{"after multi-byte text", "/é" + token, "/é012345…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := redactHexRuns(tt.in); got != tt.want {
				t.Fatalf("redactHexRuns(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRedactHexRuns checks redactHexRuns against a regular expression.
func FuzzRedactHexRuns(f *testing.F) {
	f.Add("/api/webhooks/incoming/" + strings.Repeat("ab", 32))
	f.Add(strings.Repeat("F", 200) + "/" + strings.Repeat("0", 64))
	f.Add("/x")
	hexRun := regexp.MustCompile(`[0-9a-fA-F]{64,}`)
	f.Fuzz(func(t *testing.T, s string) {
		want := hexRun.ReplaceAllStringFunc(s, func(run string) string { return run[:6] + "…" })
		got := redactHexRuns(s)
		if got != want {
			t.Fatalf("redactHexRuns(%q) = %q, want %q", s, got, want)
		}
		if hexRun.MatchString(got) {
			t.Fatalf("redactHexRuns(%q) = %q keeps a run of 64 hex digits", s, got)
		}
	})
}

// A listener without a RedactPath of its own, such as the REST API's, hides
// tokens sent to it by mistake too.
func TestAccessLogHidesHexRunsOnEveryListener(t *testing.T) {
	t.Parallel()
	for _, mode := range logModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testAccessLogHidesHexRuns(t, mode.async)
		})
	}
}

func testAccessLogHidesHexRuns(t *testing.T, async bool) {
	logs := &testenv.LogBuffer{}
	logger := logging.New(logs, logging.Options{Format: "json"})
	var access *AccessLog
	if async {
		access = NewAccessLog(logger, nil, 0)
	}
	e := NewEcho(logger, nil, Options{AccessLog: access})
	e.GET("/api/v1/things/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	token := strings.Repeat("9f", 32)

	for _, target := range []string{"/api/v1/things/" + token, "/API/webhooks/incoming/" + token, "/x?token=" + token} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
	}
	if access != nil {
		if err := access.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	out := logs.String()
	if strings.Count(out, `"msg":"http request"`) != 3 {
		t.Fatalf("want three access-log lines:\n%s", out)
	}
	if strings.Contains(out, token[:16]) {
		t.Fatalf("a token reached the log:\n%s", out)
	}
	if !strings.Contains(out, `"path":"/api/v1/things/9f9f9f…"`) {
		t.Fatalf("the path is not logged shortened:\n%s", out)
	}
}
