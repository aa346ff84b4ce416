package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// load is a loadgen summary (loadgen -json).
type load struct {
	RPS   float64 `json:"rps"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// outbox is an outboxtx summary.
type outbox struct {
	Clients int     `json:"clients"`
	TPS     float64 `json:"tps"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
}

// drain is a drainwatch result.
type drain struct {
	Backlog  uint64  `json:"backlog"`
	Drained  uint64  `json:"drained"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"rate"`
	TimedOut bool    `json:"timed_out"`
}

// eventLatency is an eventlat report.
type eventLatency struct {
	Rate    float64 `json:"rate"`
	Matched uint64  `json:"matched"`
	Missing uint64  `json:"missing"`
	Failed  uint64  `json:"failed"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
}

// startup is what the script measured of bin/upstate's start.
type startup struct {
	ColdStartMs   float64 `json:"cold_start_ms"`
	WarmRestartMs float64 `json:"warm_restart_ms"`
	IdleRSSMB     float64 `json:"idle_rss_mb"`
}

// notify is the notification delivery benchmark: deliveries per second by
// the workers and by a plain HTTP client, the same bodies to the same sink.
type notify struct {
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Baseline    float64 `json:"baseline"`
}

// inputs are a run's measurements; nil where the run has none. Each is
// read from the file of that name plus .json.
type inputs struct {
	Baseline *load         // bare echo, the PUT shape
	Gateway  *load         // signed webhooks answered 202
	Change   *load         // REST status changes
	Applied  *load         // webhooks with ?wait=true, end to end
	Outbox   *outbox       // raw outbox-shaped transactions
	Drain    *drain        // the backlog drain
	Latency  *eventLatency // accepted → StatusChanged
	Startup  *startup
	Notify   *notify // notification deliveries to a local sink
}

func readInputs(dir string) (inputs, error) {
	var in inputs
	files := map[string]any{
		"baseline": &in.Baseline, "gateway": &in.Gateway, "change": &in.Change, "applied": &in.Applied,
		"outbox": &in.Outbox, "drain": &in.Drain, "latency": &in.Latency, "startup": &in.Startup,
		"notify": &in.Notify,
	}
	for name, dst := range files {
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return inputs{}, fmt.Errorf("read %s: %w", name, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return inputs{}, fmt.Errorf("read %s: %w", name, err)
		}
	}
	return in, nil
}

// notes say how the figures were measured, below the table.
func (in inputs) notes() []string {
	var out []string
	if in.Outbox != nil {
		out = append(out, fmt.Sprintf("Raw outbox transactions: %d clients, one transaction per event (lock a row, update it, insert a row) on the durable Postgres every Postgres figure uses.", in.Outbox.Clients))
	}
	if d := in.Drain; d != nil {
		s := fmt.Sprintf("Backlog drain: %d deliveries accepted by bin/gateway while bin/status was stopped, then bin/status started; %d acknowledged (committed) in %.1f s from the first one, timed from outside.", d.Backlog, d.Drained, d.Seconds)
		if d.TimedOut {
			s += " The drain did not finish in time: the rate is of what was drained."
		}
		out = append(out, s)
	}
	if l := in.Latency; l != nil {
		s := fmt.Sprintf("Acceptance to StatusChanged: %.0f deliveries/s", l.Rate)
		if in.Applied != nil {
			s += fmt.Sprintf(", half the %.0f/s of the end-to-end (?wait=true) run", in.Applied.RPS)
		}
		s += fmt.Sprintf("; %d matched, %d without an event, %d not accepted.", l.Matched, l.Missing, l.Failed)
		out = append(out, s)
	}
	if n := in.Notify; n != nil {
		out = append(out, fmt.Sprintf("Notification delivery: a backlog on NOTIFY delivered to a webhook channel on a local HTTP sink by the workers (%d at once; claimed and recorded in the test harness's Postgres, without fsync), against a plain Go HTTP client posting the same signed bodies to the same sink with as many goroutines, in the same process (Go benchmark).", n.Concurrency))
	}
	return out
}
