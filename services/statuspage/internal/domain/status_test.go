package domain

import "testing"

func TestPageStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		statuses []Status
		impacts  []string
		want     Overall
	}{
		{"nothing", nil, nil, Overall{IndicatorNone, "All Systems Operational"}},
		{"all operational", []Status{Operational, Operational}, nil, Overall{IndicatorNone, "All Systems Operational"}},
		{"one degraded", []Status{Operational, Degraded}, nil, Overall{IndicatorMinor, "Minor Service Outage"}},
		{"one down", []Status{Operational, Down}, nil, Overall{IndicatorMajor, "Partial System Outage"}},
		{"all down", []Status{Down, Down}, nil, Overall{IndicatorCritical, "Major System Outage"}},
		{"maintenance", []Status{Operational, Maintenance}, nil, Overall{IndicatorNone, "Service Under Maintenance"}},
		{"a major incident while operational", []Status{Operational}, []string{"major"}, Overall{IndicatorMajor, "Partial System Outage"}},
		{"a minor incident does not lower an outage", []Status{Down, Down}, []string{"minor"}, Overall{IndicatorCritical, "Major System Outage"}},
		{"a critical incident", []Status{Degraded}, []string{"critical"}, Overall{IndicatorCritical, "Major System Outage"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := PageStatus(tt.statuses, tt.impacts); got != tt.want {
				t.Errorf("PageStatus(%v, %v) = %v, want %v", tt.statuses, tt.impacts, got, tt.want)
			}
		})
	}
}

func TestComponentStatusAndWorst(t *testing.T) {
	t.Parallel()
	for s, want := range map[Status]string{
		Operational: "operational", Degraded: "degraded_performance", Down: "major_outage", Maintenance: "under_maintenance",
	} {
		if got := s.ComponentStatus(); got != want {
			t.Errorf("%s.ComponentStatus() = %q, want %q", s, got, want)
		}
	}
	for _, tt := range []struct {
		in   []Status
		want Status
	}{
		{nil, Operational},
		{[]Status{Operational, Maintenance}, Maintenance},
		{[]Status{Maintenance, Degraded, Operational}, Degraded},
		{[]Status{Degraded, Down, Maintenance}, Down},
	} {
		if got := Worst(tt.in...); got != tt.want {
			t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
