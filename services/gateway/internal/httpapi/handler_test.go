package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestRedactPath(t *testing.T) {
	t.Parallel()
	token := strings.Repeat("ab", 32)
	tests := map[string]string{
		"/api/webhooks/incoming/" + token:          "/api/webhooks/incoming/ababab…",
		"/api/webhooks/incoming/" + token + "/":    "/api/webhooks/incoming/ababab…/",
		"/api/webhooks/incoming/" + token + "/x/y": "/api/webhooks/incoming/ababab…/x/y",
		"/api/webhooks/incoming/abc":               "/api/webhooks/incoming/abc…",
		"/api/webhooks/incoming/":                  "/api/webhooks/incoming/…",
		"/api/v1/services":                         "/api/v1/services",
	}
	for in, want := range tests {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidToken(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		strings.Repeat("a", 64):       true,
		strings.Repeat("F", 64):       true,
		strings.Repeat("0", 63):       false,
		strings.Repeat("0", 65):       false,
		strings.Repeat("g", 64):       false,
		strings.Repeat("a", 63) + "/": false,
		"":                            false,
	}
	for in, want := range tests {
		if got := validToken(in); got != want {
			t.Errorf("validToken(%q) = %v", in, got)
		}
	}
}

func TestSourceIPExtractor(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name, remote, xff string
		trusted           []netip.Prefix
		want              string
	}{
		{"untrusted peer, header ignored", "198.51.100.1:1", "203.0.113.7", trusted, "198.51.100.1"},
		{"loopback is not trusted by default", "127.0.0.1:1", "203.0.113.7", nil, "127.0.0.1"},
		{"private peer is not trusted by default", "10.1.1.1:1", "203.0.113.7", nil, "10.1.1.1"},
		{"trusted proxy", "10.1.1.1:1", "203.0.113.7", trusted, "203.0.113.7"},
		{"chain of trusted proxies", "10.1.1.1:1", "203.0.113.7, 10.2.2.2", trusted, "203.0.113.7"},
		{"spoofed left-most entry", "10.1.1.1:1", "1.1.1.1, 203.0.113.7", trusted, "203.0.113.7"},
		{"ipv6 trusted proxy", "[fd00::1]:1", "2001:db8::5", trusted, "2001:db8::5"},
		{"trusted proxy without header", "10.1.1.1:1", "", trusted, "10.1.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", nil)
			req.RemoteAddr = tt.remote
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := SourceIPExtractor(tt.trusted)(req); got != tt.want {
				t.Fatalf("source ip %q, want %q", got, tt.want)
			}
		})
	}
}
