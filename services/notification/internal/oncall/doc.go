// Package oncall is the arithmetic of on-call schedules, without I/O: who
// is on call at an instant (Schedule.OnCall), the final timeline of shifts
// over a window (Schedule.Shifts) and its RFC 5545 export (Schedule.ICal).
//
// A Schedule has layers of rotations and overrides. A layer hands off from
// one member to the next every Handoff.Every hours, days or weeks, the
// first hand-off being Layer.Start; before it the layer has nobody on
// call. A layer with restrictions is on call only inside them (the
// rotation keeps turning outside them). Layers stack: a later layer takes
// precedence over an earlier one wherever it has someone on call, and an
// override takes precedence over every layer (a later override over an
// earlier one). So at most one person is on call at any instant.
//
// Wall time. Layer.Start, restrictions and hand-offs of days and weeks are
// wall-clock times in the schedule's zone: a day is a calendar day, so a
// daily hand-off at 09:00 stays at 09:00 across a change of summer time
// (the shift around it lasts 23 or 25 hours). A hand-off every N hours is
// elapsed time from the start. A wall time a zone skips (the spring gap)
// or repeats (the autumn fold) is resolved as RFC 5545 §3.3.5 resolves a
// local DATE-TIME, so the schedule and its calendar export agree: a
// skipped time is read with the offset in force before the gap (02:30 in
// Berlin on the last Sunday of March is 03:30 CEST), a repeated time is
// its first occurrence (02:30 on the last Sunday of October is 02:30
// CEST). Overrides are instants.
//
// The methods other than Validate expect a valid schedule. The zone
// database is embedded in the binary (time/tzdata), so a zone loads even
// on a host without one.
package oncall
