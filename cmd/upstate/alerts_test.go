package main

import (
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	rulesFile      = "../../deploy/prometheus/upstate-rules.yml"
	operationsFile = "../../docs/operations.md"
)

// The example alert rules parse and validate as Prometheus parses them;
// every alert has a severity, a summary and a runbook section in
// docs/operations.md, and names only metrics its catalogue lists (or
// Prometheus' own up).
func TestAlertRules(t *testing.T) {
	doc, err := os.ReadFile(operationsFile)
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.ParseFile(rulesFile, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("%s: %v", rulesFile, errs)
	}
	headings := regexp.MustCompile(`(?m)^### (Upstate\w+)$`).FindAllStringSubmatch(string(doc), -1)
	var sections []string
	for _, h := range headings {
		sections = append(sections, h[1])
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a recording rule %q; the file holds alerts only", g.Name, r.Record)
				continue
			}
			alerts = append(alerts, r.Alert)
			if sev := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, sev) {
				t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, sev)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			if want := "docs/operations.md#" + strings.ToLower(r.Alert); r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			if !slices.Contains(sections, r.Alert) {
				t.Errorf("%s: no section \"### %s\" in %s", r.Alert, r.Alert, operationsFile)
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", r.Alert, err)
			}
			for _, m := range metricNames(expr) {
				if m != "up" && !documented(string(doc), m) {
					t.Errorf("%s: metric %s is not in the catalogue of %s", r.Alert, m, operationsFile)
				}
			}
		}
	}
	for _, s := range sections {
		if !slices.Contains(alerts, s) {
			t.Errorf("%s describes %s, which %s does not define", operationsFile, s, rulesFile)
		}
	}
}

// metricNames returns the metrics an expression selects.
func metricNames(expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// documented reports whether the catalogue lists metric, or the
// histogram whose series it is.
func documented(doc, metric string) bool {
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(metric, suffix); ok && strings.Contains(doc, "`"+base+"`") {
			return true
		}
	}
	return false
}
