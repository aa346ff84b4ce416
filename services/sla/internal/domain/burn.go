package domain

import "time"

// Burn-rate periods: the multi-window fast-burn rule of Google's SRE
// workbook pairs a long period with a short one, so that an alert fires
// soon after a burn starts (the long one is over the threshold) and stops
// soon after it ends (the short one falls below it).
var BurnPeriods = struct{ Short1h, Long1h, Short6h, Long6h time.Duration }{
	Short1h: 5 * time.Minute, Long1h: time.Hour, Short6h: 30 * time.Minute, Long6h: 6 * time.Hour,
}

// Thresholds of the fast-burn rule: 14.4 over 1 h spends 2% of a 30-day
// budget in that hour, 6 over 6 h spends 5% in those six hours.
const (
	FastBurn1h = 14.4
	FastBurn6h = 6.0
)

// SLOStatus sums up an SLO's state.
type SLOStatus string

// The states of an SLO: its budget spent (exhausted) comes before a fast
// burn.
const (
	SLOOK        SLOStatus = "ok"
	SLOBurning   SLOStatus = "burning"
	SLOExhausted SLOStatus = "exhausted"
)

// Downtime is the time down over the periods an SLO's state needs, each
// ending at the same moment.
type Downtime struct {
	Window          time.Duration
	M5, M30, H1, H6 time.Duration
}

// Periods returns the spans Downtime is measured over, ending at now, for
// an SLO over w: the window, 5 minutes, 30 minutes, 1 hour and 6 hours.
func Periods(w Window, now time.Time) []Span {
	ds := []time.Duration{w.Duration(), BurnPeriods.Short1h, BurnPeriods.Short6h, BurnPeriods.Long1h, BurnPeriods.Long6h}
	out := make([]Span, len(ds))
	for i, d := range ds {
		out[i] = Span{From: now.Add(-d), To: now}
	}
	return out
}

// DowntimeOf turns the Figures over Periods into Downtime.
func DowntimeOf(f []Figures) Downtime {
	return Downtime{Window: f[0].Down, M5: f[1].Down, M30: f[2].Down, H1: f[3].Down, H6: f[4].Down}
}

// SLOState is an SLO's error budget and burn rates at a moment.
type SLOState struct {
	// Budget is the downtime the target allows over the window.
	Budget time.Duration
	// Consumed is the downtime in the window.
	Consumed time.Duration
	// Remaining is Budget - Consumed: negative once overspent.
	Remaining time.Duration
	// RemainingFraction is Remaining / Budget.
	RemainingFraction float64
	// BurnRate1h and BurnRate6h are the rates downtime was spent at over
	// the last hour and six hours, as multiples of the rate that spends
	// exactly the budget over the window (1: on budget).
	BurnRate1h, BurnRate6h float64
	// FastBurn is the multi-window rule: ≥ 14.4 over both 1 h and 5 min,
	// or ≥ 6 over both 6 h and 30 min.
	FastBurn bool
	Status   SLOStatus
}

// State returns the SLO's state given its downtime.
func (s SLO) State(d Downtime) SLOState {
	allowed := 1 - s.Target // the downtime rate that spends the budget over the window
	budget := time.Duration(float64(s.Window.Duration()) * allowed)
	rate := func(down, period time.Duration) float64 {
		return float64(down) / float64(period) / allowed
	}
	st := SLOState{
		Budget: budget, Consumed: d.Window, Remaining: budget - d.Window,
		BurnRate1h: rate(d.H1, BurnPeriods.Long1h), BurnRate6h: rate(d.H6, BurnPeriods.Long6h),
	}
	if budget > 0 {
		st.RemainingFraction = float64(st.Remaining) / float64(budget)
	}
	st.FastBurn = (st.BurnRate1h >= FastBurn1h && rate(d.M5, BurnPeriods.Short1h) >= FastBurn1h) ||
		(st.BurnRate6h >= FastBurn6h && rate(d.M30, BurnPeriods.Short6h) >= FastBurn6h)
	switch {
	case d.Window >= budget:
		st.Status = SLOExhausted
	case st.FastBurn:
		st.Status = SLOBurning
	default:
		st.Status = SLOOK
	}
	return st
}

// SLOEvent is what an evaluation announces.
type SLOEvent string

// The events of an SLO, each once per episode.
const (
	EventBurning     SLOEvent = "burning"
	EventBurnStopped SLOEvent = "burn_stopped"
	EventExhausted   SLOEvent = "exhausted"
	EventRecovered   SLOEvent = "recovered"
)

// Evaluate compares st with the episodes s was in and returns s as st
// leaves it, with the events that announce the changes: a fast burn
// starting or stopping, the budget spent or regained. An SLO in the same
// state as before fires nothing, however often it is evaluated.
func (s SLO) Evaluate(st SLOState) (SLO, []SLOEvent) {
	after := s
	var evs []SLOEvent
	exhausted := st.Status == SLOExhausted
	switch {
	case st.FastBurn && !s.Burning:
		evs = append(evs, EventBurning)
	case !st.FastBurn && s.Burning:
		evs = append(evs, EventBurnStopped)
	}
	switch {
	case exhausted && !s.Exhausted:
		evs = append(evs, EventExhausted)
	case !exhausted && s.Exhausted:
		evs = append(evs, EventRecovered)
	}
	after.Burning, after.Exhausted = st.FastBurn, exhausted
	after.Version += int64(len(evs))
	return after, evs
}

// Watch reports whether the SLO must be evaluated again soon without a
// new status event: while its service is down (a burn may start, the
// budget run out), and while it burns or is exhausted (a burn ends, the
// window rolls past old downtime). Otherwise no burn rate can rise, and
// the next status event of the service is what calls for an evaluation.
func (s SLO) Watch(serviceDown bool) bool {
	return serviceDown || s.Burning || s.Exhausted
}
