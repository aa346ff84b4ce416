// Package escalation is the escalation engine's logic, without I/O or a
// clock: which steps of a policy are due for an alert at a given instant
// (Policy.Evaluate), the notifications they make and their idempotency
// keys (Notifications, Key), the resolutions owed when the alert resolves
// (Resolutions), and which channels an incident event is routed to
// (Channels).
//
// A Policy's steps are due After their delay counted from the alert
// firing; an acknowledged or resolved alert escalates no further. With
// Repeat > 0 the policy starts over Repeat more times after its last
// step, each round replaying the steps' delays from the round's start.
//
// When a round starts over. PagerDuty gives every level of a policy an
// escalation timeout (the time its targets have to acknowledge) and
// starts over when the last level's timeout runs out; Grafana OnCall's
// "repeat escalation" step comes after whatever "wait" steps precede it.
// Our steps carry their delay from the firing, so a step's timeout is the
// time to the next step, and the last step has none of its own: it gets
// the same as the step before it had (the policy keeps its last spacing),
// and the only step of a one-step policy repeats every After. A round
// therefore lasts Period: the last step's After plus the last gap (or the
// only step's After). Steps 0, 5m, 10m with Repeat 1 notify at 0, 5m,
// 10m, 15m, 20m, 25m. Taking the last step's After alone as the period,
// the simplest rule, would page the first step of the next round together
// with the last step whenever the first step is immediate.
//
// Exactly once. A notification's key is the alert id, round, step and
// recipient, so retrying the same evaluation (after a crash, on another
// worker) enqueues the same keys and the delivery queue drops the
// repeats. A resolution's key is the alert id and recipient: one per
// person or channel ever notified.
package escalation
