// Package domain holds the notification service's people and on-call
// records and the rules their values follow: users, teams, schedules and
// overrides, escalation policies and routes. It does no I/O; the rotation
// arithmetic itself is package oncall's.
package domain
