package bus

import "time"

// SetLagClock makes c measure ages with now instead of the wall clock.
func SetLagClock(c *LagCollector, now func() time.Time) { c.now = now }
