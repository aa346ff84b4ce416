package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// resubscribeTimeout bounds one attempt to recreate the consumer after the
// message iterator failed; attempts repeat with backoff.
const resubscribeTimeout = 10 * time.Second

// pinIDHeader carries, on a message of a Pinned consumer, the id of the
// pin it was delivered under.
const pinIDHeader = "Nats-Pin-Id"

// pullExpiry is how long a pull request waits on the server. The server
// sends heartbeats every half of it, and the iterator fails after two
// missing ones: a consumer deleted while no pull request was waiting
// (which would have been told) is noticed, and recreated, within this
// time rather than the library's default of 30 s. An idle consumer renews
// its pull request this often, which costs nothing that matters.
const pullExpiry = 5 * time.Second

// subscribe creates or updates the consumer and starts pulling from it.
func (c *Consumer) subscribe(ctx context.Context) (jetstream.MessagesContext, error) {
	var cons jetstream.Consumer
	err := RetryUnavailable(ctx, func(ctx context.Context) error {
		var err error
		cons, err = ensureConsumer(ctx, c.js, &c.cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s on %s: %w", c.cfg.Durable, c.cfg.Stream, err)
	}
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(c.cfg.BatchSize), jetstream.PullExpiry(pullExpiry)}
	if c.cfg.Pinned {
		opts = append(opts, jetstream.PullPriorityGroup(pinnedGroup))
	}
	iter, err := cons.Messages(opts...)
	if err != nil {
		return nil, fmt.Errorf("pull from consumer %s on %s: %w", c.cfg.Durable, c.cfg.Stream, err)
	}
	return iter, nil
}

// run hands messages to the workers until the consumer stops, replacing
// the iterator when it fails.
func (c *Consumer) run(iter jetstream.MessagesContext) {
	defer close(c.done)
	defer c.cancelHard()
	defer c.workersDone.Wait()
	defer func() {
		c.releaseHeld()
		for i, w := range c.workers {
			if i == 0 || !c.cfg.Independent {
				close(w)
			}
		}
	}()
	for {
		msg, err := c.next(iter)
		if err == nil {
			c.dispatch(msg)
			continue
		}
		if c.isStopping() {
			return
		}
		if c.handover != nil && errors.Is(err, context.DeadlineExceeded) {
			// Nothing arrived within a poll while a hand-over holds
			// messages.
			c.checkHandover()
			continue
		}
		if errors.Is(err, jetstream.ErrConnectionClosed) {
			c.logger.Error("consumer stopped: nats connection closed", "err", err)
			return
		}
		c.logger.Warn("consumer interrupted, resubscribing", "err", err)
		iter.Stop()
		if iter = c.resubscribe(); iter == nil {
			return
		}
	}
}

// next waits for the iterator's next message; while a hand-over holds
// messages, only for a poll of it.
func (c *Consumer) next(iter jetstream.MessagesContext) (jetstream.Msg, error) {
	if c.handover == nil {
		return iter.Next(jetstream.NextContext(c.abandoned))
	}
	ctx, cancel := context.WithTimeout(c.abandoned, handoverPoll)
	defer cancel()
	return iter.Next(jetstream.NextContext(ctx))
}

// resubscribe recreates the consumer and its iterator, retrying with
// backoff, and returns nil if the consumer stops first.
func (c *Consumer) resubscribe() jetstream.MessagesContext {
	backoff := FullJitter(DefaultBackoffBase, resubscribeTimeout)
	for attempt := 1; ; attempt++ {
		select {
		case <-time.After(backoff(attempt)):
		case <-c.stop:
			return nil
		}
		ctx, cancel := context.WithTimeout(c.stopping, resubscribeTimeout)
		iter, err := c.subscribe(ctx)
		cancel()
		if err != nil {
			c.logger.Warn("resubscribe failed", "attempt", attempt, "err", err)
			continue
		}
		c.mu.Lock()
		c.iter = iter
		if c.isStopping() {
			// Stop came while subscribing: drain this one instead.
			iter.Drain()
		}
		c.mu.Unlock()
		c.logger.Info("consumer resubscribed")
		return iter
	}
}

// dispatch hands msg to the worker of its subject, unless a Pinned
// consumer's hand-over holds it back.
func (c *Consumer) dispatch(msg jetstream.Msg) {
	if c.cfg.Pinned && c.holdBack(msg) {
		return
	}
	c.route(msg)
}

// route hands msg to the worker of its subject, or gives it back to the
// server if a Stop deadline has passed.
func (c *Consumer) route(msg jetstream.Msg) {
	w := c.workers[0]
	if len(c.workers) > 1 && !c.cfg.Independent {
		h := fnv.New32a()
		h.Write([]byte(msg.Subject()))
		w = c.workers[h.Sum32()%uint32(len(c.workers))]
	}
	select {
	case w <- msg:
	case <-c.handlerCtx.Done():
		c.release(msg)
	}
}

// work hands the messages of its channel to the handler, in batches of
// what has arrived, up to MaxBatch.
func (c *Consumer) work(msgs <-chan jetstream.Msg) {
	defer c.workersDone.Done()
	batch := make([]jetstream.Msg, 0, c.cfg.MaxBatch)
	for msg := range msgs {
		batch = append(batch[:0], msg)
	fill:
		for len(batch) < c.cfg.MaxBatch {
			select {
			case m, ok := <-msgs:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		if c.handlerCtx.Err() != nil || c.gaveUp.Load() {
			c.release(batch...)
			continue
		}
		c.handle(batch)
	}
}

// release gives unhandled messages back for immediate redelivery, to
// another replica of the consumer if one runs.
func (c *Consumer) release(msgs ...jetstream.Msg) {
	for _, msg := range msgs {
		if err := msg.Nak(); err != nil {
			c.logger.Warn("release message", "subject", msg.Subject(), "err", err)
		}
	}
}
