package pgdb

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// Now returns c's time as Postgres keeps it: UTC, to the microsecond, so a
// time written and read back compares equal.
func Now(c clockwork.Clock) time.Time { return c.Now().UTC().Truncate(time.Microsecond) }
