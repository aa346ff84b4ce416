package escalation

import (
	"slices"
	"strconv"
)

// Notification is one message to one recipient (a user or a channel id)
// with its idempotency key.
type Notification struct {
	Key       string
	Recipient string
	// Round and Step are the escalation's; zero in an acknowledgement or
	// a resolution.
	Round, Step int
	Kind        Kind
}

// Kind is what a notification tells.
type Kind int

// The kinds of an escalation's notifications.
const (
	// Page: a step of the policy asks its recipient to act.
	Page Kind = iota
	// Acknowledgement: someone acknowledged the alert.
	Acknowledgement
	// Resolution: the alert is resolved.
	Resolution
)

// Key is the idempotency key of step of round of the alert for
// recipient.
func Key(alertID string, round, step int, recipient string) string {
	return alertID + "/" + strconv.Itoa(round) + "/" + strconv.Itoa(step) + "/" + recipient
}

// ResolutionKey is the idempotency key of the alert's resolution for
// recipient: one per recipient, however often it was notified.
func ResolutionKey(alertID, recipient string) string {
	return alertID + "/resolved/" + recipient
}

// AcknowledgementKey is the idempotency key of the alert's
// acknowledgement for recipient: one per recipient, however often the
// alert was acknowledged.
func AcknowledgementKey(alertID, recipient string) string {
	return alertID + "/acknowledged/" + recipient
}

// Notifications expands due steps into notifications. recipients maps a
// target to who gets the message: the users on call in a schedule (none
// when nobody is), the user, the channel. A recipient reached through
// two targets of one step is notified once.
func Notifications(alertID string, due []Due, recipients func(Target) []string) []Notification {
	var out []Notification
	for _, d := range due {
		var seen []string
		for _, t := range d.Targets {
			for _, r := range recipients(t) {
				if slices.Contains(seen, r) {
					continue
				}
				seen = append(seen, r)
				out = append(out, Notification{Key: Key(alertID, d.Round, d.Step, r), Recipient: r, Round: d.Round, Step: d.Step})
			}
		}
	}
	return out
}

// Resolutions are the messages owed when the alert resolves: one to each
// recipient notified of it (in the order first notified), whether or not
// it was acknowledged.
func Resolutions(alertID string, notified []string) []Notification {
	return once(notified, Resolution, func(r string) string { return ResolutionKey(alertID, r) })
}

// Acknowledgements are the messages owed when the alert is acknowledged:
// one to each of the recipients given (in their order). Which recipients
// are owed one is the caller's choice: those that keep the alert's state
// on their side (PagerDuty channels), not everyone paged.
func Acknowledgements(alertID string, recipients []string) []Notification {
	return once(recipients, Acknowledgement, func(r string) string { return AcknowledgementKey(alertID, r) })
}

// once is a notification of kind to each recipient, once each.
func once(recipients []string, kind Kind, key func(string) string) []Notification {
	var out []Notification
	var seen []string
	for _, r := range recipients {
		if slices.Contains(seen, r) {
			continue
		}
		seen = append(seen, r)
		out = append(out, Notification{Key: key(r), Recipient: r, Kind: kind})
	}
	return out
}
