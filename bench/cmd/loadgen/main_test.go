package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{
		"-url", "http://127.0.0.1:1/x", "-method", "put", "-c", "8", "-d", "3s",
		"-header", "Authorization: Bearer ak_live_x", "-header", "Content-Type:application/json",
		"-body", "a", "-body", "b",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if cfg.method != "PUT" || cfg.conns != 8 || cfg.duration != 3*time.Second || cfg.warmup != 2*time.Second {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.payloads) != 2 || string(cfg.payloads[1].body) != "b" {
		t.Fatalf("payloads = %+v", cfg.payloads)
	}
	for _, p := range cfg.payloads {
		if got := p.header.Get("Authorization"); got != "Bearer ak_live_x" {
			t.Errorf("Authorization = %q", got)
		}
		if got := p.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q", got)
		}
		if got := p.header.Get(defaultHMACHeader); got != "" {
			t.Errorf("unsigned payload carries %s: %q", defaultHMACHeader, got)
		}
	}
	if cfg.name != "PUT http://127.0.0.1:1/x" {
		t.Errorf("default name = %q", cfg.name)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no url", nil},
		{"header without colon", []string{"-url", "http://x", "-header", "nocolon"}},
		{"zero connections", []string{"-url", "http://x", "-c", "0"}},
		{"stray argument", []string{"-url", "http://x", "extra"}},
		{"pin with unused URLs", []string{"-url", "http://x", "-url", "http://y", "-c", "1", "-pin"}},
		{"empty signature header", []string{"-url", "http://x", "-hmac-secret", "s", "-hmac-header", " "}},
		{"expected status out of range", []string{"-url", "http://x", "-expect-status", "2000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseFlags(tt.args); err == nil {
				t.Error("parseFlags accepted the arguments")
			}
		})
	}
}

func TestParseFlagsSignsEachBody(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{
		"-url", "http://x", "-header", "Content-Type: application/json",
		"-body", `{"status":"down"}`, "-body", `{"status":"operational"}`, "-hmac-secret", "It's a Secret to Everybody",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	// Computed independently: printf %s BODY | openssl dgst -sha256 -hmac SECRET
	want := []string{
		"1c55abb39cef4784baac427d283bb718462c6691a7936d30edc9abddee5c62a9",
		"80b938d5239d8a401140b1415f5dd3e7e853e8185c2388fe1638e0d0e910e89a",
	}
	for i, p := range cfg.payloads {
		if got := p.header.Get("X-Webhook-Signature"); got != want[i] {
			t.Errorf("body %s signed %q, want %q", p.body, got, want[i])
		}
		if p.header.Get("Content-Type") != "application/json" {
			t.Errorf("body %s lost its other headers: %v", p.body, p.header)
		}
	}

	cfg, err = parseFlags([]string{"-url", "http://x", "-body", "b", "-hmac-secret", "s", "-hmac-header", "X-Hub-Signature"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if got := cfg.payloads[0].header.Get("X-Hub-Signature"); got != sign("s", []byte("b")) {
		t.Errorf("X-Hub-Signature = %q", got)
	}
}

func TestTargetStepsEachURLThroughTheBodies(t *testing.T) {
	cfg := config{urls: []string{"a", "b", "c"}, payloads: []payload{{body: []byte("down")}, {body: []byte("up")}}}
	got := map[string][]string{}
	for n := range uint64(12) {
		url, i := cfg.target(n)
		got[url] = append(got[url], string(cfg.payloads[i].body))
	}
	for _, u := range cfg.urls {
		if want := "down,up,down,up"; strings.Join(got[u], ",") != want {
			t.Errorf("%s got bodies %v, want %s", u, got[u], want)
		}
	}
}

func TestPinnedTargetKeepsEachWorkerToItsURL(t *testing.T) {
	cfg := config{urls: []string{"a", "b"}, payloads: []payload{{body: []byte("down")}, {body: []byte("up")}}}
	for w, wantURL := range []string{"a", "b", "a", "b"} {
		var bodies []string
		for k := range uint64(4) {
			url, i := cfg.pinnedTarget(w, k)
			if url != wantURL {
				t.Errorf("worker %d request %d went to %s, want %s", w, k, url, wantURL)
			}
			bodies = append(bodies, string(cfg.payloads[i].body))
		}
		if got, want := strings.Join(bodies, ","), "down,up,down,up"; got != want {
			t.Errorf("worker %d sent %s, want %s", w, got, want)
		}
	}
}
