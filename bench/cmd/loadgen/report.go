package main

import (
	"fmt"
	"time"
)

// report is the summary of a run, printed as one line or as JSON.
type report struct {
	Name        string   `json:"name"`
	Method      string   `json:"method"`
	URLs        []string `json:"urls"`
	Connections int      `json:"connections"`
	DurationS   float64  `json:"duration_s"`
	Requests    uint64   `json:"requests"`
	RPS         float64  `json:"rps"`
	P50Ms       float64  `json:"p50_ms"`
	P90Ms       float64  `json:"p90_ms"`
	P99Ms       float64  `json:"p99_ms"`
	P999Ms      float64  `json:"p999_ms"`
	MaxMs       float64  `json:"max_ms"`
	Non2xx      uint64   `json:"non_2xx"`
	Transport   uint64   `json:"transport_errors"`
	ErrorRate   float64  `json:"error_rate"`
	Sent        uint64   `json:"sent"`
	SentOK      uint64   `json:"sent_ok"`
}

func newReport(cfg config, r *result) report {
	n := r.ok + r.non2xx + r.transport
	rep := report{
		Name:        cfg.name,
		Method:      cfg.method,
		URLs:        cfg.urls,
		Connections: cfg.conns,
		DurationS:   r.window.Seconds(),
		Requests:    n,
		RPS:         float64(n) / r.window.Seconds(),
		P50Ms:       ms(r.hist.Quantile(0.50)),
		P90Ms:       ms(r.hist.Quantile(0.90)),
		P99Ms:       ms(r.hist.Quantile(0.99)),
		P999Ms:      ms(r.hist.Quantile(0.999)),
		MaxMs:       ms(r.hist.Max()),
		Non2xx:      r.non2xx,
		Transport:   r.transport,
		Sent:        r.sent,
		SentOK:      r.sentOK,
	}
	if n > 0 {
		rep.ErrorRate = float64(r.non2xx+r.transport) / float64(n)
	}
	return rep
}

// line renders the report as one whitespace-separated line; scripts read
// req/s as field 2, p99 as field 7, errors as field 11, the requests sent
// in all (warm-up included) as field 14 and how many of those succeeded as
// field 16.
func (r report) line() string {
	return fmt.Sprintf("%-16s %9.0f req/s  p50 %7.2fms  p99 %7.2fms  max %8.2fms  errors %d/%d (failed/transport)  sent %d  sent_ok %d",
		r.Name, r.RPS, r.P50Ms, r.P99Ms, r.MaxMs, r.Non2xx, r.Transport, r.Sent, r.SentOK)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
