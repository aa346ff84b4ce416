package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// report is latest.json.
type report struct {
	Date    string   `json:"date"`
	Machine string   `json:"machine"`
	Figures []figure `json:"figures"`
}

func (r report) json() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// markdown renders the report as latest.md: a table, then the notes.
func (r report) markdown(notes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark, %s\n\n%s. Every ratio is to a baseline measured in the same run.\n\n", r.Date, r.Machine)
	b.WriteString("| figure | value | p50 ms | p99 ms | baseline | ratio | aim | meets |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, f := range r.Figures {
		value := "not measured"
		if f.Value != nil {
			value = number(*f.Value) + " " + f.Unit
		}
		ratio := "–"
		if f.Ratio != nil {
			ratio = strconv.FormatFloat(*f.Ratio, 'f', 2, 64) + "×"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			f.Name, value, optional(f.P50Ms), optional(f.P99Ms), optional(f.Baseline), ratio, f.Aim, verdict(f.Meets))
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// number prints a rate without decimals and a small value with two.
func number(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func optional(v *float64) string {
	if v == nil {
		return "–"
	}
	return number(*v)
}

func verdict(meets *bool) string {
	switch {
	case meets == nil:
		return "–"
	case *meets:
		return "yes"
	default:
		return "**no**"
	}
}
