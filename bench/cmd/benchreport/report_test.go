package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run measurements, as the tools write them.
var sample = map[string]string{
	"baseline": `{"rps":20000,"p50_ms":2.5,"p99_ms":12}`,
	"gateway":  `{"rps":13000,"p50_ms":4,"p99_ms":20}`,
	"change":   `{"rps":6000,"p50_ms":10,"p99_ms":30}`,
	"applied":  `{"rps":3000,"p50_ms":20,"p99_ms":60}`,
	"outbox":   `{"clients":32,"tps":3000,"p50_ms":9,"p99_ms":25}`,
	"drain":    `{"backlog":100000,"drained":100000,"seconds":8,"rate":12500,"timed_out":false}`,
	"latency":  `{"rate":1500,"matched":100,"missing":0,"failed":0,"p50_ms":8,"p99_ms":70}`,
	"startup":  `{"cold_start_ms":2100,"warm_restart_ms":700,"idle_rss_mb":90.5}`,
	"notify":   `{"concurrency":64,"rate":3000,"baseline":5000}`,
}

func writeSample(t *testing.T, skip ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range sample {
		if strings.Contains(strings.Join(skip, ","), name) {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func byName(t *testing.T, figs []figure, prefix string) figure {
	t.Helper()
	for _, f := range figs {
		if strings.HasPrefix(f.Name, prefix) {
			return f
		}
	}
	t.Fatalf("no figure %q", prefix)
	return figure{}
}

func TestFiguresRatiosAndAims(t *testing.T) {
	t.Parallel()
	in, err := readInputs(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	figs := figures(in)
	tests := []struct {
		prefix      string
		value       float64
		ratio       float64 // 0: none
		meets       *bool
		p50, p99    float64
		baselineNil bool
	}{
		{"bare echo", 20000, 0, nil, 2.5, 12, true},
		{"raw outbox", 3000, 0, nil, 9, 25, true},
		{"signed webhook", 13000, 0.65, ptr(true), 4, 20, false},
		{"webhook backlog drain", 12500, 12500.0 / 3000, ptr(true), -1, -1, false},
		{"REST status changes", 6000, 2, ptr(true), 10, 30, false},
		{"accepted → StatusChanged", 70, 0, ptr(false), 8, 70, true},
		{"idle RSS", 90.5, 0, ptr(true), -1, -1, true},
		{"cold start", 2100, 0, nil, -1, -1, true},
		{"warm restart", 700, 0, nil, -1, -1, true},
		{"notification delivery", 3000, 0.6, ptr(true), -1, -1, false},
	}
	if len(figs) != len(tests) {
		t.Fatalf("%d figures, want %d", len(figs), len(tests))
	}
	for _, tt := range tests {
		f := byName(t, figs, tt.prefix)
		if f.Value == nil || *f.Value != tt.value {
			t.Errorf("%s: value %v, want %v", tt.prefix, f.Value, tt.value)
		}
		switch {
		case tt.ratio == 0 && f.Ratio != nil:
			t.Errorf("%s: ratio %v, want none", tt.prefix, *f.Ratio)
		case tt.ratio != 0 && (f.Ratio == nil || math.Abs(*f.Ratio-tt.ratio) > 1e-9):
			t.Errorf("%s: ratio %v, want %v", tt.prefix, f.Ratio, tt.ratio)
		}
		if (tt.meets == nil) != (f.Meets == nil) || tt.meets != nil && *tt.meets != *f.Meets {
			t.Errorf("%s: meets %v, want %v", tt.prefix, f.Meets, tt.meets)
		}
		if tt.p50 >= 0 && (f.P50Ms == nil || *f.P50Ms != tt.p50 || *f.P99Ms != tt.p99) {
			t.Errorf("%s: p50/p99 %v/%v, want %v/%v", tt.prefix, f.P50Ms, f.P99Ms, tt.p50, tt.p99)
		}
		if tt.baselineNil != (f.Baseline == nil) {
			t.Errorf("%s: baseline %v", tt.prefix, f.Baseline)
		}
	}
}

// A figure below its aim, or one the run could not measure, is reported
// as not meeting it.
func TestFiguresBelowAimOrMissing(t *testing.T) {
	t.Parallel()
	dir := writeSample(t, "drain")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 5,500 changes/s passes the absolute aim but is 1.375× the outbox rate.
	must(os.WriteFile(filepath.Join(dir, "change.json"), []byte(`{"rps":5500}`), 0o644))
	must(os.WriteFile(filepath.Join(dir, "outbox.json"), []byte(`{"tps":4000}`), 0o644))
	// 0.55× bare echo.
	must(os.WriteFile(filepath.Join(dir, "gateway.json"), []byte(`{"rps":11000}`), 0o644))
	in, err := readInputs(dir)
	must(err)
	figs := figures(in)
	for _, prefix := range []string{"REST status changes", "signed webhook", "webhook backlog drain"} {
		if f := byName(t, figs, prefix); f.Meets == nil || *f.Meets {
			t.Errorf("%s: meets %v, want false", prefix, f.Meets)
		}
	}
	if f := byName(t, figs, "webhook backlog drain"); f.Value != nil {
		t.Errorf("unmeasured drain has value %v", *f.Value)
	}
}

func TestFiguresTimedOutDrainMissesItsAim(t *testing.T) {
	t.Parallel()
	f := fromDrain(&drain{Backlog: 100, Drained: 50, Seconds: 0.001, Rate: 50_000, TimedOut: true}, ptr(1000.0))
	if f.Meets == nil || *f.Meets {
		t.Fatalf("a drain that timed out meets its aim: %+v", f)
	}
}

func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	in, err := readInputs(writeSample(t, "latency"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := report{Date: "2026-12-03", Machine: "2 cores (X)", Figures: figures(in)}.json()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Date    string           `json:"date"`
		Machine string           `json:"machine"`
		Figures []map[string]any `json:"figures"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Date != "2026-12-03" || got.Machine != "2 cores (X)" || len(got.Figures) != 10 {
		t.Fatalf("report %s", b)
	}
	for _, f := range got.Figures {
		for _, k := range []string{"name", "value", "unit", "p50_ms", "p99_ms", "baseline", "ratio", "aim", "meets"} {
			if _, ok := f[k]; !ok {
				t.Errorf("figure %v lacks %q", f["name"], k)
			}
		}
	}
	for _, f := range got.Figures {
		if strings.HasPrefix(f["name"].(string), "accepted") && (f["value"] != nil || f["meets"] != false) {
			t.Errorf("unmeasured latency reported as %v", f)
		}
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	in, err := readInputs(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	md := report{Date: "2026-12-03", Machine: "2 cores (X)", Figures: figures(in)}.markdown(in.notes())
	for _, want := range []string{
		"# Benchmark, 2026-12-03\n\n2 cores (X).",
		"| signed webhook → 202 (stored in JetStream) | 13000 req/s | 4.00 | 20.00 | 20000 | 0.65× | ≥ 0.6× bare echo | yes |",
		"| accepted → StatusChanged on the stream, at half the maximum rate | 70.00 ms (p99) | 8.00 | 70.00 | – | – | p99 < 50 ms | **no** |",
		"| cold start to ready, empty data dir | 2100 ms | – | – | – | – | report | – |",
		"- Backlog drain: 100000 deliveries",
		"half the 3000/s of the end-to-end (?wait=true) run",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestMachineParsers(t *testing.T) {
	t.Parallel()
	cpu := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModel(bufio.NewScanner(strings.NewReader(cpu)), "?"); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel(bufio.NewScanner(strings.NewReader("x: y\n")), "?"); got != "?" {
		t.Errorf("cpuModel without a model = %q", got)
	}
	mem := "MemTotal:       24684544 kB\nMemFree: 1 kB\n"
	if got := memTotalGB(bufio.NewScanner(strings.NewReader(mem))); math.Abs(got-23.54) > 0.01 {
		t.Errorf("memTotalGB = %v", got)
	}
}
