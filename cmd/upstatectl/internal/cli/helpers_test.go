package cli

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMatchName(t *testing.T) {
	services := []named{{"svc_1", "API", ""}, {"svc_2", "Checkout", ""}, {"svc_3", "checkout", ""}, {"usr_1", "Ada", "ada@example.com"}}
	for _, tc := range []struct {
		name, want, err string
	}{
		{"API", "svc_1", ""},
		{" api ", "svc_1", ""},
		{"Checkout", "svc_2", ""}, // the exact spelling wins
		{"CHECKOUT", "", "ambiguous: it matches svc_2 (Checkout), svc_3 (checkout)"},
		{"Nope", "", `no service named "Nope"`},
		{"ADA@example.com", "usr_1", ""}, // users are also known by their email
	} {
		got, err := matchName("service", services, tc.name)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("matchName(%q) = %q, %v; want %q, %q", tc.name, got, err, tc.want, tc.err)
		}
	}
	var nf notFoundError
	if _, err := matchName("service", services, "Nope"); !errors.As(err, &nf) {
		t.Errorf("no match is %T, want a not-found error", err)
	}
}

func TestTimes(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now": now, "90m": now.Add(90 * time.Minute), "-1h": now.Add(-time.Hour),
		"2026-12-24T18:00:00+01:00": time.Date(2026, 12, 24, 17, 0, 0, 0, time.UTC),
	} {
		if got, err := when(in, now); err != nil || !got.Equal(want) {
			t.Errorf("when(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := when("tomorrow", now); err == nil {
		t.Error("when(tomorrow) is no error")
	}
	if got, err := sinceTime("1h", now); err != nil || !got.Equal(now.Add(-time.Hour)) {
		t.Errorf("sinceTime(1h) = %v, %v", got, err)
	}
	var ue usageError
	if _, err := sinceTime("yesterday", now); !errors.As(err, &ue) {
		t.Errorf("sinceTime(yesterday) = %v, want a usage error", err)
	}
}

func TestMasks(t *testing.T) {
	if got := maskURL("nats://events:secret@127.0.0.1:4222"); got != "nats://events:***@127.0.0.1:4222" {
		t.Errorf("maskURL = %q", got)
	}
	if got := maskURL("nats://127.0.0.1:4222"); got != "nats://127.0.0.1:4222" {
		t.Errorf("maskURL = %q", got)
	}
	if got := maskKey("ak_live_0123456789abcdef"); got != "ak_live_0123…" {
		t.Errorf("maskKey = %q", got)
	}
	if got := maskKey("short"); got != "*****" {
		t.Errorf("maskKey = %q", got)
	}
}
