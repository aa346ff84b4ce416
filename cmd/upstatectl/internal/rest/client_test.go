package rest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		header     http.Header
		body       string
		want       string
		retryAfter time.Duration
	}{
		{"envelope", 422, nil, `{"error":{"code":"invalid_value","message":"status \"x\" is invalid"}}`, `status "x" is invalid (invalid_value, HTTP 422)`, 0},
		{"retry after seconds", 503, http.Header{"Retry-After": {"5"}}, `{"error":{"code":"unavailable","message":"down"}}`, "down (unavailable, HTTP 503)", 5 * time.Second},
		{"a proxy's page", 502, nil, "<html>bad gateway</html>", "bad gateway (HTTP 502)", 0},
		{"an empty 429", 429, http.Header{"Retry-After": {"junk"}}, "", "too many requests (HTTP 429)", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := decodeError(&http.Response{StatusCode: tc.status, Header: h}, []byte(tc.body))
			if e.Error() != tc.want || e.RetryAfter != tc.retryAfter || e.Status != tc.status {
				t.Fatalf("decodeError = %q (retry after %v), want %q (%v)", e.Error(), e.RetryAfter, tc.want, tc.retryAfter)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	for _, base := range []string{"http://h:8080", "http://h:8080/", "http://h:8080/api/v1", "http://h:8080/api/v1/"} {
		c := &Client{BaseURL: base}
		if got := c.endpoint("/services", map[string][]string{"limit": {"5"}}); got != "http://h:8080/api/v1/services?limit=5" {
			t.Errorf("endpoint with base %q = %q", base, got)
		}
	}
	if got := redact("http://h/api/v1/services?cursor=abc"); strings.Contains(got, "cursor") {
		t.Errorf("redact kept the query: %q", got)
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		method string
		status int
		want   bool
	}{
		{http.MethodGet, 429, true}, {http.MethodPost, 429, true},
		{http.MethodGet, 503, true}, {http.MethodPut, 503, true}, {http.MethodPatch, 503, true}, {http.MethodDelete, 503, true},
		{http.MethodPost, 503, false},
		{http.MethodGet, 500, false}, {http.MethodGet, 502, false}, {http.MethodPut, 409, false},
	} {
		if got := retryable(tc.method, tc.status); got != tc.want {
			t.Errorf("retryable(%s, %d) = %v, want %v", tc.method, tc.status, got, tc.want)
		}
	}
}
