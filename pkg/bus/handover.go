package bus

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A Pinned consumer keeps the stream order across its replicas by letting
// one replica at a time take messages. But a replica can miss messages it
// was given: the previous holder of the pin had some when the pin moved
// (it stopped or died, or the consumer's leader moved with a NATS node and
// gave the pin to whoever asked first), or this replica's own were lost
// in flight with its connection to a NATS node. Those are still out, being
// applied by the other replica or due for redelivery after AckWait, while
// the server gives the holder the messages that follow; applying those
// first has an older message overtaken by a newer one of its subject (an
// older report, then ignored, is missing from the history).
//
// Every delivery of a consumer takes the next consumer sequence, and only
// the pinned replica is given any, so a replica that sees the sequence
// jump missed deliveries. It then holds back that message and what follows
// until everything before it is acknowledged (the consumer's ack floor
// reaches it), applying meanwhile only older messages redelivered to it.
// Usually nothing earlier is out and the first check lets go at once.
// AckWait (and the time to notice it) bounds the wait otherwise: by then
// what was missed has been acknowledged or redelivered here.
type handover struct {
	// boundary is the stream sequence of the first message after the
	// jump: it and what follows wait for everything before it.
	boundary uint64
	// held are the messages from boundary on, in the order received.
	held []jetstream.Msg
	// deadline is when the messages are let go even though the floor has
	// not been seen to reach the boundary.
	deadline time.Time
	started  time.Time
	// checked is when the ack floor was last read, progressed when the
	// held messages were last reported in progress.
	checked, progressed time.Time
}

// handoverPoll is how often a hand-over reads the consumer's ack floor
// while it holds messages.
const handoverPoll = 200 * time.Millisecond

// handoverDeadline bounds a hand-over's wait: what the previous holder
// was given is redelivered AckWait after its delivery, before anything
// newer, and the server notices expired messages within a pull's expiry.
// The one case it cuts short is a previous holder still alive and holding
// its messages in progress through a long dependency outage: the two may
// then apply at once when the dependency returns. That wants the pin to
// have moved away from a live replica, which stops pulling only when its
// handlers are all held up that long.
func (cfg *ConsumerConfig) handoverDeadline() time.Duration {
	return cfg.AckWait + 2*pullExpiry
}

// holdBack notes a jump in the consumer sequence and reports whether msg
// is held back by a hand-over (see handover); a message that is not is
// dispatched at once. Only the run loop calls it.
func (c *Consumer) holdBack(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	if err != nil {
		return false
	}
	seq := md.Sequence.Stream
	if id := msg.Headers().Get(pinIDHeader); id != "" && id != c.pinID.Load() {
		c.pinID.Store(id)
		// Which replica applies, and since when, is worth knowing.
		c.logger.Info("pinned: this replica takes the consumer's messages", "pin_id", id)
	}
	jumped := md.Sequence.Consumer != c.delivered+1
	c.delivered = md.Sequence.Consumer
	if jumped {
		now := time.Now()
		if c.handover == nil {
			c.handover = &handover{boundary: seq, started: now}
		}
		// A jump while holding: what is held still waits for what came
		// before it.
		c.handover.boundary = min(c.handover.boundary, seq)
		c.handover.deadline = now.Add(c.cfg.handoverDeadline())
	}
	h := c.handover
	if h == nil || seq < h.boundary {
		return false
	}
	h.held = append(h.held, msg)
	if time.Since(h.checked) >= handoverPoll {
		c.checkHandover()
	}
	return true
}

// checkHandover ends the hand-over when everything before its boundary is
// acknowledged, or its deadline has passed, dispatching the held messages
// in stream order; until then it keeps them from being redelivered.
func (c *Consumer) checkHandover() {
	h := c.handover
	now := time.Now()
	h.checked = now
	timedOut := now.After(h.deadline)
	if !timedOut {
		floor, err := c.ackFloor()
		if err != nil || floor+1 < h.boundary {
			if err != nil {
				c.logger.Debug("hand-over: ack floor unknown", "err", err)
			}
			if now.Sub(h.progressed) >= c.cfg.AckWait/3 {
				h.progressed = now
				c.inProgress(h.held...)
			}
			return
		}
	}
	c.handover = nil
	if waited := now.Sub(h.started); timedOut {
		c.logger.Warn("hand-over: earlier messages still unacknowledged at the deadline, applying what followed",
			"held", len(h.held), "waited", waited)
	} else if waited > handoverPoll {
		c.logger.Info("hand-over: the messages missed are settled", "held", len(h.held), "waited", waited)
	}
	slices.SortStableFunc(h.held, func(a, b jetstream.Msg) int { return cmp.Compare(streamSeq(a), streamSeq(b)) })
	for _, msg := range h.held {
		c.route(msg)
	}
}

// ackFloor is the stream sequence below which (inclusive) the consumer's
// messages are all acknowledged.
func (c *Consumer) ackFloor() (uint64, error) {
	ctx, cancel := context.WithTimeout(c.stopping, handoverPoll*5)
	defer cancel()
	cons, err := c.js.Consumer(ctx, c.cfg.Stream, c.cfg.Durable)
	if err != nil {
		return 0, err
	}
	return cons.CachedInfo().AckFloor.Stream, nil
}

// releaseHeld gives back what a hand-over holds when the consumer stops.
func (c *Consumer) releaseHeld() {
	if h := c.handover; h != nil {
		c.handover = nil
		c.release(h.held...)
	}
}

func streamSeq(msg jetstream.Msg) uint64 {
	md, err := msg.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}
