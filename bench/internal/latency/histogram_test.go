package latency

import (
	"math"
	"testing"
	"time"
)

func TestBucketIndexRoundTrip(t *testing.T) {
	t.Parallel()
	values := []uint64{0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, 123456789, 1 << 40, math.MaxUint64}
	for _, v := range values {
		i := bucketIndex(v)
		if i < 0 || i >= bucketCount {
			t.Fatalf("bucketIndex(%d) = %d, out of [0,%d)", v, i, bucketCount)
		}
		hi := bucketHigh(i)
		if hi < v {
			t.Errorf("bucketHigh(bucketIndex(%d)) = %d, below the value", v, hi)
		}
		if v > 0 && float64(hi-v)/float64(v) > 1.0/(1<<subBits) {
			t.Errorf("bucket of %d reaches %d: error above 1/%d", v, hi, 1<<subBits)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Errorf("value %d also fits bucket %d (high %d)", v, i-1, bucketHigh(i-1))
		}
	}
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	var a, b Histogram
	for i := 1; i <= 1000; i++ {
		h := &a
		if i%2 == 0 {
			h = &b
		}
		h.Record(time.Duration(i) * time.Microsecond)
	}
	a.Merge(&b)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 500 * time.Microsecond},
		{0.99, 990 * time.Microsecond},
		{1, 1000 * time.Microsecond},
	}
	for _, tt := range tests {
		got := a.Quantile(tt.q)
		if got < tt.want || float64(got-tt.want) > float64(tt.want)/(1<<subBits) {
			t.Errorf("quantile(%v) = %v, want %v within 1/%d", tt.q, got, tt.want, 1<<subBits)
		}
	}
	if a.Max() != time.Millisecond {
		t.Errorf("max = %v, want 1ms", a.Max())
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Errorf("empty quantile = %v, want 0", empty.Quantile(0.5))
	}
}
