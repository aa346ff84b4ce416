package webhook

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMapDefaults(t *testing.T) {
	t.Parallel()
	words := map[string][]string{
		StatusOperational: {"operational", "up", "ok", "healthy", "none", "resolved"},
		StatusDegraded:    {"degraded", "partial", "warning", "minor", "degraded_performance", "partial_outage"},
		StatusDown:        {"down", "outage", "major", "critical", "error", "major_outage"},
		StatusMaintenance: {"maintenance", "scheduled", "under_maintenance"},
	}
	total := 0
	for want, ws := range words {
		total += len(ws)
		for _, w := range ws {
			title := strings.ToUpper(w[:1]) + w[1:]
			for _, in := range []string{w, strings.ToUpper(w), title, "  " + w + "\t", "\n" + strings.ToUpper(w) + " "} {
				t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
					t.Parallel()
					for _, m := range []Mapping{nil, {}, {"crashed": "down"}} {
						if got, ok := m.Map(in); got != want || !ok {
							t.Errorf("Mapping(%v).Map(%q) = %q, %v; want %q, true", m, in, got, ok, want)
						}
					}
				})
			}
		}
	}
	// Every default is tested, and DefaultMapping lists exactly these.
	d := DefaultMapping()
	if len(d) != total {
		t.Errorf("DefaultMapping has %d words, the test %d", len(d), total)
	}
	for want, ws := range words {
		for _, w := range ws {
			if d[w] != want {
				t.Errorf("DefaultMapping()[%q] = %q, want %q", w, d[w], want)
			}
		}
	}
}

func TestMapSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"under maintenance", StatusMaintenance},
		{"Under Maintenance", StatusMaintenance},
		{"under-maintenance", StatusMaintenance},
		{"under  maintenance", StatusMaintenance},
		{"UNDER_MAINTENANCE", StatusMaintenance},
		{"Partial Outage", StatusDegraded},
		{"major-outage", StatusDown},
		{"degraded performance", StatusDegraded},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got, ok := Mapping(nil).Map(tt.in); got != tt.want || !ok {
				t.Errorf("Map(%q) = %q, %v; want %q, true", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestMapUnknown(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "   ", "crashed", "okay", "up!", "200", "true", "under", "_ok"} {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			t.Parallel()
			if got, ok := Mapping(nil).Map(in); ok {
				t.Errorf("Map(%q) = %q, true; want not ok", in, got)
			}
		})
	}
}

func TestMapOverrides(t *testing.T) {
	t.Parallel()
	m := Mapping{
		"ok":          "degraded",    // beats the default
		"Crashed":     "DOWN",        // extension, keys and values in any case
		"Needs Love":  " Degraded ",  // spaces in the key
		"200":         "operational", // HTTP codes as words
		"maintenance": "down",        // even a status name can be redirected
		"bogus":       "broken",      // invalid: Validate rejects it
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ok", StatusDegraded, true},
		{" OK ", StatusDegraded, true},
		{"crashed", StatusDown, true},
		{"CRASHED", StatusDown, true},
		{"needs love", StatusDegraded, true},
		{"needs_love", StatusDegraded, true},
		{"200", StatusOperational, true},
		{"maintenance", StatusDown, true},
		{"up", StatusOperational, true}, // untouched defaults still apply
		{"major_outage", StatusDown, true},
		{"bogus", "", false},
		{"503", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got, ok := m.Map(tt.in); got != tt.want || ok != tt.ok {
				t.Errorf("Map(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// Two keys that are the same word are rejected by Validate, but Map must
// still answer the same way every time.
func TestMapConflictIsDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    Mapping
		want string
	}{
		{"normal form wins", Mapping{"Fine": "down", "fine": "degraded", "FINE": "maintenance"}, StatusDegraded},
		{"smallest key wins", Mapping{"Fine": "down", "FINE": "maintenance", "fInE": "degraded"}, StatusMaintenance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 50 {
				if got, _ := tt.m.Map("fine"); got != tt.want {
					t.Fatalf("Map = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tooMany := Mapping{}
	for i := range MaxMappingEntries + 1 {
		tooMany[fmt.Sprintf("w%d", i)] = "down"
	}
	full := Mapping{}
	for i := range MaxMappingEntries {
		full[fmt.Sprintf("w%d", i)] = "down"
	}
	tests := []struct {
		name string
		m    Mapping
		msgs []string // all in the error; none means valid
	}{
		{"nil", nil, nil},
		{"empty", Mapping{}, nil},
		{"all statuses in any case", Mapping{"a": "operational", "b": "DEGRADED", "c": " Down ", "d": "Maintenance"}, nil},
		{"same word same status", Mapping{"Crashed": "down", "crashed": "DOWN"}, nil},
		{"longest key", Mapping{strings.Repeat("é", MaxMappingKeyChars): "down"}, nil},
		{"most entries", full, nil},
		{"bad value", Mapping{"crashed": "dwn"}, []string{`key "crashed"`, `"dwn" is not a status`, "operational, degraded, down, maintenance"}},
		{"empty value", Mapping{"crashed": ""}, []string{`key "crashed"`, "operational, degraded, down, maintenance"}},
		{"empty key", Mapping{"": "down"}, []string{`key "" is empty`}},
		{"blank key", Mapping{" \t": "down"}, []string{`key " \t" is empty`}},
		{"long key", Mapping{strings.Repeat("x", MaxMappingKeyChars+1): "down"}, []string{"longer than 100 characters"}},
		{"too many", tooMany, []string{"101 entries, at most 100"}},
		{"invalid utf-8 key", Mapping{"a\xff": "down"}, []string{"not valid UTF-8"}},
		{"conflicting spellings", Mapping{"Crashed": "down", "crashed": "degraded"}, []string{`"Crashed" and "crashed"`, `"down" and "degraded"`}},
		{"first bad key in order", Mapping{"b": "x", "a": "y"}, []string{`key "a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			if len(tt.msgs) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidMapping) {
				t.Fatalf("err = %v, want ErrInvalidMapping", err)
			}
			for _, msg := range tt.msgs {
				if !strings.Contains(err.Error(), msg) {
					t.Errorf("err = %q, want it to contain %q", err, msg)
				}
			}
		})
	}
}

func TestDefaultMappingIsACopy(t *testing.T) {
	t.Parallel()
	d := DefaultMapping()
	d["ok"] = StatusDown
	d["crashed"] = StatusDown
	if got, _ := Mapping(nil).Map("ok"); got != StatusOperational {
		t.Errorf("changing the copy changed the defaults: ok → %q", got)
	}
}

func FuzzMap(f *testing.F) {
	for _, s := range []string{"ok", " Under Maintenance ", "major-outage", "", "_", "--", "İ", "\u212a", "ok\u00a0"} {
		f.Add(s, "crashed", "down")
	}
	f.Add("Crashed", "CRASHED", "Down")
	f.Add("x", "x", "nope")
	f.Fuzz(func(t *testing.T, raw, key, value string) {
		m := Mapping{key: value}
		st, ok := m.Map(raw)
		if ok != (st != "") {
			t.Fatalf("Map(%q) = %q, %v", raw, st, ok)
		}
		if ok {
			if _, valid := parseStatus(st); !valid || st != strings.ToLower(st) {
				t.Fatalf("Map(%q) = %q, not a status", raw, st)
			}
		}
		// Surrounding space never matters.
		if st2, ok2 := m.Map(" " + raw + "\t"); st2 != st || ok2 != ok {
			t.Fatalf("Map(%q) = %q, %v but with spaces %q, %v", raw, st, ok, st2, ok2)
		}
		// A valid entry is always what its key maps to.
		if m.Validate() == nil {
			want, _ := parseStatus(value)
			if got, ok := m.Map(key); !ok || got != want {
				t.Fatalf("Mapping{%q: %q}.Map(key) = %q, %v", key, value, got, ok)
			}
		}
		if w := normalizeWord(raw); w != normalizeWord(w) {
			t.Fatalf("normalizeWord not idempotent: %q → %q → %q", raw, w, normalizeWord(w))
		}
	})
}

func BenchmarkDecodeExtractMap(b *testing.B) {
	body := []byte(benchPayload)
	if len(body) < 900 || len(body) > 1200 {
		b.Fatalf("payload is %d bytes, want about 1 KiB", len(body))
	}
	p := mustParse(b, "data.attributes.checks.1.current_status")
	m := Mapping{"crashed": "down"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := DecodeJSON(body)
		if err != nil {
			b.Fatal(err)
		}
		raw, found := ExtractString(doc, p)
		if !found {
			b.Fatal("status not found")
		}
		if st, ok := m.Map(raw); !ok || st != StatusDegraded {
			b.Fatalf("Map(%q) = %q, %v", raw, st, ok)
		}
	}
}

const benchPayload = `{
  "id": "evt_01HZX3Q9V6M2C8K4T7R5N1B0YA",
  "type": "monitor.status_changed",
  "created_at": "2025-11-23T12:19:04.512Z",
  "data": {
    "id": "mon_7f3a9c",
    "type": "monitor",
    "attributes": {
      "name": "Checkout API",
      "url": "https://api.example.com/v2/checkout/health",
      "current_status": "Partial Outage",
      "previous_status": "operational",
      "region": "eu-west-1",
      "response_time_ms": 1843.5,
      "http_status": 503,
      "paused": false,
      "tags": ["payments", "tier-1", "public"],
      "checks": [
        {"location": "fra", "current_status": "operational", "latency_ms": 120},
        {"location": "iad", "current_status": "degraded_performance", "latency_ms": 1843},
        {"location": "sin", "current_status": "operational", "latency_ms": 310}
      ],
      "message": "Elevated error rates on card authorisation; retries succeeding."
    },
    "relationships": {
      "team": {"data": {"id": "team_42", "type": "team"}},
      "incident": {"data": {"id": "inc_9001", "type": "incident"}}
    }
  },
  "meta": {"delivery": "dlv_5e1c", "attempt": 1, "signature_version": "v1", "sent_at": 1763900344}
}`
