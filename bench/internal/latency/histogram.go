// Package latency records latencies for upstate's benchmark tools in a
// log-linear histogram and reads quantiles from it.
package latency

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 1<<subBits linear sub-buckets, so a recorded value is off by at most
// 1/128 (< 0.8 %) of itself.
const subBits = 7

// bucketCount covers every uint64 value: bucket index = shift<<subBits +
// v>>shift, with shift = max(0, bits.Len64(v)-subBits-1).
const bucketCount = (64 - subBits + 1) << subBits

// Histogram is a log-linear latency histogram in the spirit of HDR
// Histogram. Recording is a few arithmetic operations and one increment,
// with no allocation; it is not safe for concurrent use, so each worker owns
// one and they are merged at the end.
type Histogram struct {
	counts [bucketCount]uint64
	total  uint64
	max    uint64
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketIndex(v)]++
	h.total++
	h.max = max(h.max, v)
}

// Merge adds o's counts into h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// Quantile returns the value at quantile q in [0, 1]: the highest value of
// the bucket holding it, capped at the exact maximum.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// Count returns how many latencies were recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest recorded latency, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

func bucketIndex(v uint64) int {
	shift := max(bits.Len64(v)-subBits-1, 0)
	return shift<<subBits + int(v>>shift)
}

// bucketHigh returns the highest value that falls into bucket i.
func bucketHigh(i int) uint64 {
	if i < 2<<subBits {
		return uint64(i)
	}
	shift := i>>subBits - 1
	mant := uint64(i - shift<<subBits)
	return mant<<shift + (1<<shift - 1)
}
