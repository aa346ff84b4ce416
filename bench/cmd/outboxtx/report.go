package main

import (
	"fmt"
	"time"
)

// report is the summary of a run.
type report struct {
	Name         string  `json:"name"`
	Clients      int     `json:"clients"`
	DurationS    float64 `json:"duration_s"`
	Transactions uint64  `json:"transactions"`
	TPS          float64 `json:"tps"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	Errors       uint64  `json:"errors"`
}

func newReport(cfg config, r *result) report {
	return report{
		Name:         cfg.name,
		Clients:      cfg.clients,
		DurationS:    r.window.Seconds(),
		Transactions: r.commits,
		TPS:          float64(r.commits) / r.window.Seconds(),
		P50Ms:        ms(r.hist.Quantile(0.50)),
		P99Ms:        ms(r.hist.Quantile(0.99)),
		MaxMs:        ms(r.hist.Max()),
		Errors:       r.errors,
	}
}

// line renders the report as one line; scripts read tx/s as field 2, p50
// as field 4 and p99 as field 6.
func (r report) line() string {
	return fmt.Sprintf("%-16s %9.0f tx/s  p50 %7.2fms  p99 %7.2fms  max %8.2fms  errors %d",
		r.Name, r.TPS, r.P50Ms, r.P99Ms, r.MaxMs, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
