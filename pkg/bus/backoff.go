package bus

import (
	"math/rand/v2"
	"time"
)

// Default retry delays of a failed message: full-jitter exponential, up to
// a minute for a message that failed on its own, and up to 30 seconds for
// one whose dependency was unavailable, so that it is applied soon after
// the dependency is back.
const (
	DefaultBackoffBase         = 500 * time.Millisecond
	DefaultBackoffCap          = time.Minute
	DefaultTransientBackoffCap = 30 * time.Second
)

// FullJitter returns a backoff that waits a random duration in
// [0, min(limit, base·2^(attempt-1))) before retry attempt (1-based).
// Spreading retries over the whole interval, not around its end, keeps many
// consumers that failed together (a database restart) from retrying in
// lockstep.
func FullJitter(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		return fullJitter(attempt, base, limit, rand.Int64N)
	}
}

// fullJitter is FullJitter with its random source, randN(n) in [0, n),
// passed in.
func fullJitter(attempt int, base, limit time.Duration, randN func(int64) int64) time.Duration {
	ceiling := backoffCeiling(attempt, base, limit)
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(randN(int64(ceiling)))
}

// backoffCeiling is min(limit, base·2^(attempt-1)), without overflowing.
func backoffCeiling(attempt int, base, limit time.Duration) time.Duration {
	if base <= 0 || limit <= 0 {
		return 0
	}
	ceiling := min(base, limit)
	for i := 1; i < attempt && ceiling < limit; i++ {
		if ceiling > limit/2 {
			return limit
		}
		ceiling *= 2
	}
	return ceiling
}
