package events

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
)

// ReceiverChanged announces that receiver id was created, changed, deleted
// or given a new token, on the core NATS subject bus.SubjectReceiverChanged
// with the id as the plain-text body, so gateways drop it from their
// caches at once.
//
// It is best effort, not an outbox event: core NATS keeps nothing, so a
// gateway that is disconnected at the time, or a publish that fails after
// the change committed, misses it. The gateway's cache entries also expire
// after a short TTL, which bounds how long a missed announcement leaves a
// stale receiver (an old token, a previous signature) in use.
func ReceiverChanged(nc *nats.Conn, id string) error {
	if err := nc.Publish(bus.SubjectReceiverChanged, []byte(id)); err != nil {
		return fmt.Errorf("announce change of receiver %s: %w", id, err)
	}
	return nil
}
