// Package domain is the SLA arithmetic, with no I/O: the intervals a
// service spent in each status, built from its versioned transitions in
// whatever order they arrive (Splice); what an interval contributes to a
// range of time and to the hourly buckets that summarise history
// (Figures, Buckets); calendar days in a time zone (Days); and SLOs with
// their error budgets, burn rates and the events an evaluation fires.
//
// Definitions (the README repeats them for users):
//   - time down is downtime; time degraded is up, reported separately;
//   - time in maintenance is left out of the denominator;
//   - time before a service's first known transition (its creation) and
//     after its deletion is not counted at all;
//   - the current interval counts up to now.
package domain
