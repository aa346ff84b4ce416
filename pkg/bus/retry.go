package bus

import (
	"context"
	"time"
)

// createAttempts bounds RetryUnavailable when ctx has no deadline.
const createAttempts = 6

// RetryUnavailable runs op, which creates or updates a JetStream asset (a
// stream, a consumer, a key-value bucket), again while it fails with an
// error IsUnavailable recognises, until ctx ends or createAttempts have
// failed; it returns op's last error.
//
// In a JetStream cluster such a request can go unanswered while the asset
// is created all the same: replicas of a service that start together
// create the same consumer or bucket at once, and the metadata leader
// answers only one of the identical proposals; a leader election does
// the same. The request then times out, and a replica that gave up on it
// would fail its start, as every replica but one did when a deployment's
// replicas started together on a three-node cluster. Creating again finds
// the asset, or creates it.
func RetryUnavailable(ctx context.Context, op func(ctx context.Context) error) error {
	wait := FullJitter(200*time.Millisecond, 2*time.Second)
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !IsUnavailable(err) || ctx.Err() != nil || attempt == createAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait(attempt)):
		}
	}
}
