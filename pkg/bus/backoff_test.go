package bus

import (
	"testing"
	"time"
)

func TestBusFullJitterCeiling(t *testing.T) {
	t.Parallel()
	base, limit := 500*time.Millisecond, time.Minute
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{3, 2 * time.Second},
		{7, 32 * time.Second},
		{8, time.Minute},
		{10, time.Minute},
		{1 << 20, time.Minute},
	}
	for _, tt := range tests {
		top := fullJitter(tt.attempt, base, limit, func(n int64) int64 { return n - 1 })
		if top != tt.want-1 {
			t.Errorf("attempt %d: longest delay %s, want just under %s", tt.attempt, top, tt.want)
		}
		if low := fullJitter(tt.attempt, base, limit, func(int64) int64 { return 0 }); low != 0 {
			t.Errorf("attempt %d: shortest delay %s, want 0", tt.attempt, low)
		}
	}
}

func TestBusFullJitterEdges(t *testing.T) {
	t.Parallel()
	never := func(int64) int64 { t.Fatal("random source used"); return 0 }
	if d := fullJitter(3, 0, time.Minute, never); d != 0 {
		t.Errorf("zero base: %s", d)
	}
	if d := fullJitter(3, time.Second, 0, never); d != 0 {
		t.Errorf("zero limit: %s", d)
	}
	// A limit below the base caps the first attempt too.
	if c := backoffCeiling(1, time.Second, 100*time.Millisecond); c != 100*time.Millisecond {
		t.Errorf("limit below base: ceiling %s", c)
	}
	// Doubling near the largest duration must not overflow.
	if c := backoffCeiling(100, time.Duration(1)<<61, time.Duration(1<<63-1)); c != time.Duration(1<<63-1) {
		t.Errorf("huge limit: ceiling %s", c)
	}
}

func TestBusFullJitterSpreads(t *testing.T) {
	t.Parallel()
	backoff := FullJitter(500*time.Millisecond, time.Minute)
	seen := map[time.Duration]bool{}
	for range 200 {
		d := backoff(3)
		if d < 0 || d >= 2*time.Second {
			t.Fatalf("attempt 3: %s outside [0, 2s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 delays took only %d values: not jittered", len(seen))
	}
}
