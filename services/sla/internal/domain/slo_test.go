package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

func asValidation(err error, target **domain.ValidationError) bool { return errors.As(err, target) }

func TestSLOState(t *testing.T) {
	t.Parallel()
	slo := domain.SLO{Target: 0.999, Window: "30d"}
	tests := []struct {
		name   string
		d      domain.Downtime
		status domain.SLOStatus
		burn1h float64
	}{
		{"nothing down", domain.Downtime{}, domain.SLOOK, 0},
		{"a minute down an hour ago burns no more", domain.Downtime{Window: time.Minute, H1: time.Minute, H6: time.Minute}, domain.SLOOK, 1000.0 / 60},
		{"a minute down just now burns fast", domain.Downtime{Window: time.Minute, M5: time.Minute, M30: time.Minute, H1: time.Minute, H6: time.Minute}, domain.SLOBurning, 1000.0 / 60},
		{"the budget spent", domain.Downtime{Window: 2592 * time.Second}, domain.SLOExhausted, 0},
	}
	for _, tt := range tests {
		st := slo.State(tt.d)
		if st.Budget != 2592*time.Second {
			t.Fatalf("budget %v, want 2592s", st.Budget)
		}
		if st.Status != tt.status || !near(st.BurnRate1h, tt.burn1h) || st.Remaining != st.Budget-tt.d.Window {
			t.Errorf("%s: %+v", tt.name, st)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// Each event fires once per episode: evaluating again in the same state
// fires nothing.
func TestSLOEvaluateOncePerEpisode(t *testing.T) {
	t.Parallel()
	slo := domain.SLO{Target: 0.999, Window: "30d", Version: 1}
	burning := domain.Downtime{Window: time.Minute, M5: time.Minute, M30: time.Minute, H1: time.Minute, H6: time.Minute}
	exhausted := domain.Downtime{Window: time.Hour, M5: 5 * time.Minute, M30: 30 * time.Minute, H1: time.Hour, H6: time.Hour}
	afterwards := domain.Downtime{Window: time.Hour, H6: time.Hour}
	steps := []struct {
		d    domain.Downtime
		want []domain.SLOEvent
	}{
		{domain.Downtime{}, nil},
		{burning, []domain.SLOEvent{domain.EventBurning}},
		{burning, nil},
		{exhausted, []domain.SLOEvent{domain.EventExhausted}},
		{exhausted, nil},
		{afterwards, []domain.SLOEvent{domain.EventBurnStopped}},
		{afterwards, nil},
		{domain.Downtime{}, []domain.SLOEvent{domain.EventRecovered}},
		{domain.Downtime{}, nil},
	}
	version := slo.Version
	for i, s := range steps {
		var evs []domain.SLOEvent
		slo, evs = slo.Evaluate(slo.State(s.d))
		if len(evs) != len(s.want) || (len(evs) > 0 && evs[0] != s.want[0]) {
			t.Fatalf("step %d: events %v, want %v", i, evs, s.want)
		}
		version += int64(len(evs))
		if slo.Version != version {
			t.Fatalf("step %d: version %d, want %d", i, slo.Version, version)
		}
	}
}

func TestNewSLOValidate(t *testing.T) {
	t.Parallel()
	ok := domain.NewSLO{ServiceID: "svc_1", Name: "Checkout", Target: 0.999, Window: "30d"}
	tests := []struct {
		edit  func(*domain.NewSLO)
		field string
	}{
		{func(*domain.NewSLO) {}, ""},
		{func(n *domain.NewSLO) { n.ServiceID = "" }, "service_id"},
		{func(n *domain.NewSLO) { n.Name = " " }, "name"},
		{func(n *domain.NewSLO) { n.Target = 1 }, "target"},
		{func(n *domain.NewSLO) { n.Target = 0 }, "target"},
		{func(n *domain.NewSLO) { n.Window = "24h" }, "window"},
		{func(n *domain.NewSLO) { n.Window = "28d" }, ""},
	}
	for i, tt := range tests {
		n := ok
		tt.edit(&n)
		err := n.Validate()
		var verr *domain.ValidationError
		if (tt.field == "" && err != nil) || (tt.field != "" && (!errors.As(err, &verr) || verr.Field != tt.field)) {
			t.Errorf("case %d: %v, want error on %q", i, err, tt.field)
		}
	}
}

func TestUptimeRange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	from, to := now.Add(-time.Hour), now
	tests := []struct {
		window   string
		from, to *time.Time
		field    string
		want     time.Duration
	}{
		{"24h", nil, nil, "", 24 * time.Hour},
		{"90d", nil, nil, "", 90 * 24 * time.Hour},
		{"28d", nil, nil, "window", 0},
		{"", &from, &to, "", time.Hour},
		{"", &to, &from, "to", 0},
		{"", &from, nil, "to", 0},
		{"", nil, nil, "window", 0},
		{"7d", &from, &to, "window", 0},
	}
	for _, tt := range tests {
		s, err := domain.UptimeRange(tt.window, tt.from, tt.to, now)
		var verr *domain.ValidationError
		switch {
		case tt.field != "" && (!errors.As(err, &verr) || verr.Field != tt.field):
			t.Errorf("%q: %v, want an error on %s", tt.window, err, tt.field)
		case tt.field == "" && (err != nil || s.To.Sub(s.From) != tt.want):
			t.Errorf("%q: %v %v", tt.window, s, err)
		}
	}
}
