package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Start is where a durable consumer begins reading its stream when it is
// created. It applies only then: a consumer that already exists (a
// restart, a redeploy, another replica) keeps its position whatever Start
// says, because its position is the point of it being durable, and because
// JetStream refuses to change the start of an existing consumer anyway.
// Only a consumer that is deleted, or never existed, starts where Start says.
//
// The zero value is FromOldest.
type Start struct {
	policy jetstream.DeliverPolicy
	at     time.Time
}

var (
	// FromOldest delivers every message the stream still holds: for
	// consumers that derive state from the history (incidents, SLAs), for
	// which the recent past matters on a first deployment too.
	FromOldest = Start{policy: jetstream.DeliverAllPolicy}
	// FromNow delivers only the messages stored after the consumer was
	// created: for consumers that act on the outside world (notifications,
	// outbound webhooks), which must not replay the stream's history when
	// they are first deployed.
	FromNow = Start{policy: jetstream.DeliverNewPolicy}
)

// FromTime delivers the messages stored at or after t: a consumer that acts
// on the outside world but should catch up on what happened shortly
// before its first deployment. The zero time is FromOldest.
func FromTime(t time.Time) Start {
	if t.IsZero() {
		return FromOldest
	}
	return Start{policy: jetstream.DeliverByStartTimePolicy, at: t}
}

// apply sets the start of a consumer to be created.
func (s Start) apply(cfg *jetstream.ConsumerConfig) {
	cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = s.policy, 0, nil
	if s.policy == jetstream.DeliverByStartTimePolicy {
		at := s.at
		cfg.OptStartTime = &at
	}
}

// ensureAttempts bounds the rounds of ensureConsumer: each round is lost
// only to another replica creating or deleting the consumer in between.
const ensureAttempts = 5

// ensureConsumer creates the durable consumer cfg describes, starting
// where cfg.Start says, or updates the existing one with cfg while keeping
// the start it was created with (which also keeps its position). Replicas
// starting at once may race: a create that finds the consumer made by
// another one updates it instead, and an update that finds it deleted
// creates it.
func ensureConsumer(ctx context.Context, js jetstream.JetStream, cfg *ConsumerConfig) (jetstream.Consumer, error) {
	for range ensureAttempts {
		want := cfg.consumerConfig()
		cons, err := js.Consumer(ctx, cfg.Stream, cfg.Durable)
		switch {
		case err == nil:
			have := cons.CachedInfo().Config
			want.DeliverPolicy, want.OptStartSeq, want.OptStartTime = have.DeliverPolicy, have.OptStartSeq, have.OptStartTime
			cons, err = js.UpdateConsumer(ctx, cfg.Stream, want)
			if !errors.Is(err, jetstream.ErrConsumerDoesNotExist) {
				return cons, err
			}
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			cfg.Start.apply(&want)
			cons, err = js.CreateConsumer(ctx, cfg.Stream, want)
			if !errors.Is(err, jetstream.ErrConsumerExists) {
				return cons, err
			}
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("consumer kept being created and deleted meanwhile (%d attempts)", ensureAttempts)
}
