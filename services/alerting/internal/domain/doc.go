// Package domain is the alerting service's rules, without I/O: which
// services a rule selects (Index), whether its condition holds on a
// service and since when (Run), the state machine of an alert (Evaluate:
// pending, firing, resolved, flapping), notification groups with
// Alertmanager's timing (Group), silences, dependencies and the
// inhibition they give (Mutes). Stores, consumers and handlers are thin
// adapters around these functions.
package domain
