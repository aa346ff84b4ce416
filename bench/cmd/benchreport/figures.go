package main

// figure is one line of the report. Value, p50, p99, baseline, ratio and
// meets are null where they do not apply or were not measured.
type figure struct {
	Name     string   `json:"name"`
	Value    *float64 `json:"value"`
	Unit     string   `json:"unit"`
	P50Ms    *float64 `json:"p50_ms"`
	P99Ms    *float64 `json:"p99_ms"`
	Baseline *float64 `json:"baseline"`
	Ratio    *float64 `json:"ratio"`
	Aim      string   `json:"aim"`
	Meets    *bool    `json:"meets"`
}

// The aims of the figures (issue 12).
const (
	aimGatewayRatio = 0.6    // of bare echo
	aimDrainRate    = 10_000 // deliveries/s
	aimDrainRatio   = 3      // of raw outbox transactions
	aimChangeRate   = 5_000  // changes/s
	aimChangeRatio  = 1.5    // of raw outbox transactions
	aimLatencyP99   = 50     // ms
	aimIdleRSS      = 150    // MB
	aimNotifyRatio  = 0.5    // of a plain HTTP client (issue 15)
)

// figures computes the report's figures from a run's measurements.
func figures(in inputs) []figure {
	var echoRPS, outboxTPS *float64
	if in.Baseline != nil {
		echoRPS = ptr(in.Baseline.RPS)
	}
	if in.Outbox != nil {
		outboxTPS = ptr(in.Outbox.TPS)
	}
	out := []figure{
		fromLoad("bare echo, PUT (baseline)", in.Baseline, "req/s", nil, "baseline", nil),
		fromOutbox(in.Outbox),
		fromLoad("signed webhook → 202 (stored in JetStream)", in.Gateway, "req/s", echoRPS,
			"≥ 0.6× bare echo", func(v, r float64) bool { return r >= aimGatewayRatio }),
		fromDrain(in.Drain, outboxTPS),
		fromLoad("REST status changes (64 connections, distinct services)", in.Change, "changes/s", outboxTPS,
			"≥ 5,000/s and ≥ 1.5× raw outbox", func(v, r float64) bool { return v >= aimChangeRate && r >= aimChangeRatio }),
		fromLatency(in.Latency),
	}
	out = append(out, fromStartup(in.Startup)...)
	return append(out, fromNotify(in.Notify))
}

func fromNotify(n *notify) figure {
	f := figure{Name: "notification delivery to a local HTTP sink, 64 at once (plain Go HTTP client as baseline)",
		Unit: "deliveries/s", Aim: "≥ 0.5× the plain client"}
	if n == nil {
		return f.unmeasured(true)
	}
	f.Value, f.Baseline = ptr(n.Rate), ptr(n.Baseline)
	f.Ratio = ratio(n.Rate, f.Baseline)
	f.Meets = ptr(f.Ratio != nil && *f.Ratio >= aimNotifyRatio)
	return f
}

// fromLoad is a figure of a loadgen run, with its ratio to baseline (if
// any) and meets deciding on value and ratio (nil: no aim).
func fromLoad(name string, l *load, unit string, baseline *float64, aim string, meets func(v, r float64) bool) figure {
	f := figure{Name: name, Unit: unit, Baseline: baseline, Aim: aim}
	if l == nil {
		return f.unmeasured(meets != nil)
	}
	f.Value, f.P50Ms, f.P99Ms = ptr(l.RPS), ptr(l.P50Ms), ptr(l.P99Ms)
	f.Ratio = ratio(l.RPS, baseline)
	if meets != nil {
		f.Meets = ptr(f.Ratio != nil && meets(l.RPS, *f.Ratio))
	}
	return f
}

func fromOutbox(o *outbox) figure {
	f := figure{Name: "raw outbox transactions, one per event (baseline)", Unit: "tx/s", Aim: "baseline"}
	if o != nil {
		f.Value, f.P50Ms, f.P99Ms = ptr(o.TPS), ptr(o.P50Ms), ptr(o.P99Ms)
	}
	return f
}

func fromDrain(d *drain, outboxTPS *float64) figure {
	f := figure{Name: "webhook backlog drain (accepted → committed change, delivery log, outbox)",
		Unit: "deliveries/s", Baseline: outboxTPS, Aim: "≥ 10,000/s and ≥ 3× raw outbox"}
	if d == nil {
		return f.unmeasured(true)
	}
	f.Value, f.Ratio = ptr(d.Rate), ratio(d.Rate, outboxTPS)
	f.Meets = ptr(!d.TimedOut && f.Ratio != nil && d.Rate >= aimDrainRate && *f.Ratio >= aimDrainRatio)
	return f
}

func fromLatency(l *eventLatency) figure {
	f := figure{Name: "accepted → StatusChanged on the stream, at half the maximum rate",
		Unit: "ms (p99)", Aim: "p99 < 50 ms"}
	if l == nil {
		return f.unmeasured(true)
	}
	f.Value, f.P50Ms, f.P99Ms = ptr(l.P99Ms), ptr(l.P50Ms), ptr(l.P99Ms)
	// A delivery whose event never came has no latency under the aim.
	f.Meets = ptr(l.Matched > 0 && l.Missing == 0 && l.Failed == 0 && l.P99Ms < aimLatencyP99)
	return f
}

func fromStartup(s *startup) []figure {
	rss := figure{Name: "idle RSS of bin/upstate, every service", Unit: "MB", Aim: "< 150 MB"}
	cold := figure{Name: "cold start to ready, empty data dir", Unit: "ms", Aim: "report"}
	warm := figure{Name: "warm restart to ready", Unit: "ms", Aim: "report"}
	if s == nil {
		return []figure{rss.unmeasured(true), cold, warm}
	}
	rss.Value, rss.Meets = ptr(s.IdleRSSMB), ptr(s.IdleRSSMB > 0 && s.IdleRSSMB < aimIdleRSS)
	cold.Value, warm.Value = ptr(s.ColdStartMs), ptr(s.WarmRestartMs)
	return []figure{rss, cold, warm}
}

// unmeasured marks a figure the run has no measurement of: with an aim,
// it does not meet it.
func (f figure) unmeasured(hasAim bool) figure {
	if hasAim {
		f.Meets = ptr(false)
	}
	return f
}

// ratio is v over the baseline, if there is a positive one.
func ratio(v float64, baseline *float64) *float64 {
	if baseline == nil || *baseline <= 0 {
		return nil
	}
	return ptr(v / *baseline)
}

func ptr[T any](v T) *T { return &v }
