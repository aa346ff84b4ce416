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
	if got := cfg.header.Get("Authorization"); got != "Bearer ak_live_x" {
		t.Errorf("Authorization = %q", got)
	}
	if got := cfg.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if len(cfg.bodies) != 2 || string(cfg.bodies[1]) != "b" {
		t.Errorf("bodies = %q", cfg.bodies)
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

func TestTargetStepsEachURLThroughTheBodies(t *testing.T) {
	cfg := config{urls: []string{"a", "b", "c"}, bodies: [][]byte{[]byte("down"), []byte("up")}}
	got := map[string][]string{}
	for n := range uint64(12) {
		url, body := cfg.target(n)
		got[url] = append(got[url], string(body))
	}
	for _, u := range cfg.urls {
		if want := "down,up,down,up"; strings.Join(got[u], ",") != want {
			t.Errorf("%s got bodies %v, want %s", u, got[u], want)
		}
	}
}
