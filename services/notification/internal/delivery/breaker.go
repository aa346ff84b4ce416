package delivery

import (
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// maxBreakers bounds the breakers kept: inline webhook recipients (a
// status page's subscribers) may be many. Past it, the breakers are
// started afresh, which forgets only recent failures.
const maxBreakers = 10_000

// breakers holds a circuit breaker per destination.
type breakers struct {
	failures uint32
	open     time.Duration

	mu sync.Mutex
	m  map[string]*gobreaker.CircuitBreaker[outcome]
}

func newBreakers(failures uint32, open time.Duration) *breakers {
	return &breakers{failures: failures, open: open, m: map[string]*gobreaker.CircuitBreaker[outcome]{}}
}

// get returns the breaker of destination key: it opens after the
// configured failures in a row, refuses for the open time, then lets one
// attempt through (half-open), which closes it again or reopens it.
func (b *breakers) get(key string) *gobreaker.CircuitBreaker[outcome] {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cb, ok := b.m[key]; ok {
		return cb
	}
	if len(b.m) >= maxBreakers {
		clear(b.m)
	}
	cb := gobreaker.NewCircuitBreaker[outcome](gobreaker.Settings{
		Name:        key,
		MaxRequests: 1,
		Timeout:     b.open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= b.failures },
	})
	b.m[key] = cb
	return cb
}
