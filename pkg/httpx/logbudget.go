package httpx

import (
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultRefusedLogLines is how many access-log lines of refused requests
// a listener writes a second unless its Options say otherwise.
const DefaultRefusedLogLines = 20

// refused reports whether a response refused its request: a client error
// (4xx), which anyone can cause at will and without credentials (unknown
// token or route 404, 401, 413, 429, malformed input 400, …). Their
// access-log lines are budgeted; successes, redirects and server errors
// are always logged.
func refused(status int) bool { return status >= 400 && status < 500 }

// logBudget lets through at most perSecond lines each second of its
// clock. Its state is one atomic word, so that a flood of requests on
// every core takes no lock: each reads the clock, loads the word and
// swaps it once.
type logBudget struct {
	perSecond uint64
	clock     clockwork.Clock
	// state packs the current second (above countBits) and the number
	// of lines asked for in it (below), so one compare-and-swap moves both.
	state atomic.Uint64
}

const (
	countBits = 24
	countMax  = 1<<countBits - 1
)

func newLogBudget(perSecond int, clock clockwork.Clock) *logBudget {
	return &logBudget{perSecond: uint64(perSecond), clock: clock}
}

// take reports whether one more line may be written now. The first call
// of a second after one that asked for more lines than the budget also
// returns how many that second suppressed, and when it began.
func (b *logBudget) take() (ok bool, dropped uint64, second time.Time) {
	sec := uint64(b.clock.Now().Unix())
	for {
		old := b.state.Load()
		oldSec, n := old>>countBits, old&countMax
		next := sec<<countBits | 1
		if oldSec == sec {
			if n == countMax {
				return false, 0, time.Time{}
			}
			next = old + 1
		}
		if !b.state.CompareAndSwap(old, next) {
			continue
		}
		if oldSec != sec && n > b.perSecond {
			dropped, second = n-b.perSecond, time.Unix(int64(oldSec), 0).UTC()
		}
		return next&countMax <= b.perSecond, dropped, second
	}
}
