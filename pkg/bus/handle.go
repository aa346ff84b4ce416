package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// deadLetterTimeout bounds publishing a dead letter.
	deadLetterTimeout = 10 * time.Second
	// failureCountTimeout bounds counting a failure of a message.
	failureCountTimeout = 10 * time.Second
	// maxErrorHeader caps the error text copied into a dead letter.
	maxErrorHeader = 1024
)

// Permanent marks err as one no retry can fix (a message that cannot be
// decoded, a reference to something that does not exist): the message is
// dead-lettered at once instead of redelivered.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// handle runs the handler on batch and settles its messages.
//
// Success is settled with Ack, not DoubleAck: delivery is at least once and
// handlers are idempotent, so an acknowledgement lost on the way only means
// one more delivery, while waiting for the server to confirm each one would
// add a round trip per message. A failure is never acknowledged. A
// transient one holds the batch and retries it in place; a batch that
// fails otherwise is split into single messages, and a single message that
// fails is redelivered after a backoff, or copied to the dead-letter
// stream and only then terminated.
func (c *Consumer) handle(batch []jetstream.Msg) {
	for attempt := 1; ; attempt++ {
		err := c.call(batch)
		if err == nil {
			if attempt > 1 {
				c.logger.Info("dependency available again", "messages", len(batch), "attempts", attempt)
			}
			c.ack(batch)
			return
		}
		if c.handlerCtx.Err() != nil {
			// A Stop deadline cut the handler short: not the messages' fault.
			c.release(batch...)
			return
		}
		if delay, ok := deferral(err); ok {
			c.deferred(batch, delay, err)
			return
		}
		if IsPermanent(err) || !c.transient(err) {
			c.failedBatch(batch, err)
			return
		}
		if !c.hold(batch, attempt, err) {
			c.gaveUp.Store(true)
			c.release(batch...)
			return
		}
	}
}

// hold keeps batch from redelivery while a dependency is unavailable, for
// the attempt-th transient failure's backoff. It returns false, at once,
// if the consumer is stopping: the wait could last as long as the outage.
//
// Holding in place, rather than redelivering, keeps the messages of a
// subject in order: those behind the batch wait behind it.
func (c *Consumer) hold(batch []jetstream.Msg, attempt int, err error) bool {
	delay := c.cfg.TransientBackoff(attempt)
	// Log the first failures and then ever more rarely: an outage of an
	// hour at a few retries a second is not worth thousands of lines.
	if attempt&(attempt-1) == 0 {
		c.logger.Warn("dependency unavailable, holding messages",
			"messages", len(batch), "first_subject", batch[0].Subject(),
			"attempt", attempt, "retry_in", delay, "err", err)
	}
	deadline := time.Now().Add(delay)
	for {
		// The server redelivers after AckWait without news.
		c.inProgress(batch...)
		wait := min(time.Until(deadline), c.cfg.AckWait/3)
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-c.stopping.Done():
			timer.Stop()
			return false
		}
	}
}

// inProgress tells the server that msgs are being held, so that it does
// not redeliver them after AckWait; failing only costs a redelivery.
func (c *Consumer) inProgress(msgs ...jetstream.Msg) {
	for _, msg := range msgs {
		if err := msg.InProgress(); err != nil {
			c.logger.Debug("in progress", "subject", msg.Subject(), "err", err)
		}
	}
}

// failedBatch settles a batch that failed on the messages' own account:
// a single message is judged; several are applied again one by one, so
// that only the one at fault fails.
func (c *Consumer) failedBatch(batch []jetstream.Msg, err error) {
	if len(batch) > 1 {
		c.logger.Warn("batch failed, applying its messages one by one", "messages", len(batch), "err", err)
		for _, msg := range batch {
			c.handle([]jetstream.Msg{msg})
		}
		return
	}
	msg := batch[0]
	md, mdErr := msg.Metadata()
	if mdErr != nil {
		// Not a JetStream delivery, so there is nothing to settle.
		c.logger.Error("message without metadata", "subject", msg.Subject(), "err", mdErr)
		return
	}
	if IsPermanent(err) {
		c.deadLetter(msg, md, 0, err)
		return
	}
	c.failed(msg, md, err)
}

// deferred gives batch back for redelivery after the delay the handler
// asked for (Defer), counting no failure.
func (c *Consumer) deferred(batch []jetstream.Msg, delay time.Duration, err error) {
	for _, msg := range batch {
		c.logger.Debug("handler deferred message", "subject", msg.Subject(), "retry_in", delay, "err", err)
		if err := msg.NakWithDelay(delay); err != nil {
			c.logger.Warn("nak", "subject", msg.Subject(), "err", err)
		}
	}
}

func (c *Consumer) ack(batch []jetstream.Msg) {
	for _, msg := range batch {
		if err := msg.Ack(); err != nil {
			c.logger.Warn("ack", "subject", msg.Subject(), "err", err)
		}
	}
}

// transient reports whether a handler error says a dependency is
// unavailable rather than the message at fault.
func (c *Consumer) transient(err error) bool {
	return IsTransient(err) || IsUnavailable(err) || c.cfg.Unavailable != nil && c.cfg.Unavailable(err)
}

// failed counts a failure of the message itself and redelivers the message
// after a backoff, or dead-letters it at its MaxDeliver-th failure. If the
// count cannot be kept, the message cannot be judged either: it is
// redelivered, as when the dead-letter stream cannot be reached.
func (c *Consumer) failed(msg jetstream.Msg, md *jetstream.MsgMetadata, cause error) {
	ctx, cancel := context.WithTimeout(c.handlerCtx, failureCountTimeout)
	defer cancel()
	n, err := c.failures.add(ctx, md)
	if err != nil {
		delay := c.cfg.TransientBackoff(int(md.NumDelivered))
		c.logger.ErrorContext(msgContext(msg), "handler failed and its failure could not be counted, will retry",
			"subject", msg.Subject(), "stream_seq", md.Sequence.Stream, "retry_in", delay, "cause", cause, "err", err)
		c.nak(msg, md, delay)
		return
	}
	if n >= c.cfg.MaxDeliver {
		c.deadLetter(msg, md, n, cause)
		return
	}
	delay := c.cfg.Backoff(n)
	c.logger.WarnContext(msgContext(msg), "handler failed, will retry",
		"subject", msg.Subject(), "stream_seq", md.Sequence.Stream,
		"failures", n, "deliveries", md.NumDelivered, "retry_in", delay, "err", cause)
	c.nak(msg, md, delay)
}

func (c *Consumer) nak(msg jetstream.Msg, md *jetstream.MsgMetadata, delay time.Duration) {
	if err := msg.NakWithDelay(delay); err != nil {
		c.logger.Warn("nak", "subject", msg.Subject(), "stream_seq", md.Sequence.Stream, "err", err)
	}
}

// call runs the handler with a context bounded by AckWait, turning a panic
// into an error so one bad message cannot take the process down.
func (c *Consumer) call(batch []jetstream.Msg) (err error) {
	ctx, cancel := context.WithTimeout(c.handlerCtx, c.cfg.AckWait)
	defer cancel()
	ctx, span := c.startSpan(ctx, batch)
	defer func() {
		if r := recover(); r != nil {
			c.logger.ErrorContext(ctx, "handler panicked", "first_subject", batch[0].Subject(), "messages", len(batch),
				"panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
		endSpan(span, err)
	}()
	return c.h(ctx, batch)
}

// deadLetter copies msg to the consumer's dead-letter subject and, once the
// copy is stored, terminates msg. failures is how often the message failed
// on its own (0 for a Permanent error, which is not counted). If the copy
// cannot be stored msg is redelivered later instead, so it is never
// dropped.
func (c *Consumer) deadLetter(msg jetstream.Msg, md *jetstream.MsgMetadata, failures int, cause error) {
	seq := md.Sequence.Stream
	dl := deadLetterMsg(msg, md, failures, cause)
	ctx, cancel := context.WithTimeout(c.handlerCtx, deadLetterTimeout)
	defer cancel()
	if _, err := c.js.PublishMsg(ctx, dl); err != nil {
		delay := c.cfg.TransientBackoff(int(md.NumDelivered))
		c.logger.ErrorContext(msgContext(msg), "dead-letter failed, will retry",
			"subject", msg.Subject(), "stream_seq", seq, "retry_in", delay, "cause", cause, "err", err)
		c.nak(msg, md, delay)
		return
	}
	if err := msg.TermWithReason("dead-lettered"); err != nil {
		// It comes back after AckWait and is dead-lettered again; the
		// copy's message id makes the dead-letter stream store it once.
		c.logger.Warn("term", "subject", msg.Subject(), "stream_seq", seq, "err", err)
	}
	c.logger.ErrorContext(msgContext(msg), "message dead-lettered",
		"subject", msg.Subject(), "stream_seq", seq, "failures", failures, "deliveries", md.NumDelivered,
		"dlq_subject", dl.Subject, "err", cause)
}

// deadLetterMsg builds the dead-letter copy of msg: its data and headers,
// without the Nats-* headers that steer JetStream (an expected-stream or
// expected-sequence header would make the copy fail), with a message id
// unique to this consumer and message, and the reason it was given up.
func deadLetterMsg(msg jetstream.Msg, md *jetstream.MsgMetadata, failures int, cause error) *nats.Msg {
	dl := nats.NewMsg(DLQSubject(md.Stream, md.Consumer))
	dl.Data = msg.Data()
	for k, v := range msg.Headers() {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			dl.Header[k] = slices.Clone(v)
		}
	}
	dl.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s.%s.%d", md.Stream, md.Consumer, md.Sequence.Stream))
	dl.Header.Set(HeaderError, headerValue(cause.Error()))
	dl.Header.Set(HeaderOriginalSubject, msg.Subject())
	dl.Header.Set(HeaderOriginalSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	dl.Header.Set(HeaderDeliveries, strconv.FormatUint(md.NumDelivered, 10))
	if failures > 0 {
		dl.Header.Set(HeaderFailures, strconv.Itoa(failures))
	}
	return dl
}

// headerValue makes s safe as a header value: one line, bounded length.
func headerValue(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) > maxErrorHeader {
		s = strings.ToValidUTF8(s[:maxErrorHeader], "")
	}
	return s
}
