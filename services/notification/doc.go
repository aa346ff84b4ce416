// Package notification is the service that talks to the outside world:
// people and their on-call schedules, escalation policies, channels
// (Slack, Microsoft Teams, Discord, email, PagerDuty, signed webhooks,
// another upstate) and the delivery queue that sends every outbound
// message exactly once per recipient.
package notification
