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
	// Round and Step are the escalation's; zero in a resolution.
	Round, Step int
	Resolution  bool
}

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
	var out []Notification
	var seen []string
	for _, r := range notified {
		if slices.Contains(seen, r) {
			continue
		}
		seen = append(seen, r)
		out = append(out, Notification{Key: ResolutionKey(alertID, r), Recipient: r, Resolution: true})
	}
	return out
}
