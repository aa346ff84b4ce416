package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetter is a message a consumer gave up on, as the DLQ stream keeps it.
type DeadLetter struct {
	// Seq is its sequence in the DLQ stream.
	Seq uint64
	// Stream and Consumer say who gave up on it.
	Stream, Consumer string
	// Subject is where it was first published, and where Replay puts it
	// again.
	Subject string
	// Error is the last handler error; Failures how often it failed.
	Error, Failures string
	// At is when it was dead-lettered.
	At time.Time
}

// dlqFilter is the DLQ subject of consumer, or of every consumer.
func dlqFilter(consumer string) string {
	if consumer == "" {
		return SubjectsDLQ
	}
	return DLQSubject("*", consumer)
}

// DeadLetters lists up to limit dead letters of consumer (every consumer's
// when empty), oldest first.
func DeadLetters(ctx context.Context, js jetstream.JetStream, consumer string, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := eachDeadLetter(ctx, js, consumer, limit, func(m jetstream.Msg, dl DeadLetter) error {
		out = append(out, dl)
		return nil
	})
	return out, err
}

// Replay publishes up to limit dead letters of consumer (every consumer's
// when empty) again to the subjects they came from, oldest first, and
// removes each from the DLQ once its stream has stored it. Every consumer
// of that stream sees the message again; consumers are idempotent, so
// those that had handled it change nothing. A dead letter replayed twice
// (a crash between the publish and the removal) is stored once: its
// Nats-Msg-Id is derived from its DLQ sequence. It returns how many were
// replayed.
func Replay(ctx context.Context, js jetstream.JetStream, consumer string, limit int) (int, error) {
	st, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", StreamDLQ, err)
	}
	n := 0
	err = eachDeadLetter(ctx, js, consumer, limit, func(m jetstream.Msg, dl DeadLetter) error {
		if dl.Subject == "" {
			return fmt.Errorf("dead letter %d has no %s header", dl.Seq, HeaderOriginalSubject)
		}
		again := nats.NewMsg(dl.Subject)
		again.Data = m.Data()
		for k, v := range m.Headers() {
			switch k {
			case HeaderError, HeaderOriginalSubject, HeaderOriginalSequence, HeaderDeliveries, HeaderFailures, jetstream.MsgIDHeader:
				continue
			}
			again.Header[k] = v
		}
		again.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("replay.%d", dl.Seq))
		if _, err := js.PublishMsg(ctx, again); err != nil {
			return fmt.Errorf("replay dead letter %d to %s: %w", dl.Seq, dl.Subject, err)
		}
		if err := st.DeleteMsg(ctx, dl.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("remove replayed dead letter %d: %w", dl.Seq, err)
		}
		n++
		return nil
	})
	return n, err
}

// eachDeadLetter calls fn with up to limit dead letters of consumer, oldest
// first, stopping at the first error.
func eachDeadLetter(ctx context.Context, js jetstream.JetStream, consumer string, limit int, fn func(jetstream.Msg, DeadLetter) error) error {
	st, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return fmt.Errorf("open %s: %w", StreamDLQ, err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{dlqFilter(consumer)}})
	if err != nil {
		return fmt.Errorf("read %s: %w", StreamDLQ, err)
	}
	for seen := 0; seen < limit; {
		batch, err := cons.FetchNoWait(min(100, limit-seen))
		if err != nil {
			return fmt.Errorf("read %s: %w", StreamDLQ, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			// upstate.dlq.<stream>.<consumer>
			parts := strings.SplitN(m.Subject(), ".", 4)
			if len(parts) != 4 {
				return fmt.Errorf("dead letter %d on unexpected subject %s", md.Sequence.Stream, m.Subject())
			}
			dl := DeadLetter{
				Seq: md.Sequence.Stream, Stream: parts[2], Consumer: parts[3], Subject: m.Headers().Get(HeaderOriginalSubject),
				Error: m.Headers().Get(HeaderError), Failures: m.Headers().Get(HeaderFailures), At: md.Timestamp,
			}
			if err := fn(m, dl); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("read %s: %w", StreamDLQ, err)
		}
		if got == 0 {
			return nil
		}
		seen += got
	}
	return nil
}
