package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// PublishError is the error of PublishOrdered when some events of the
// batch were not stored.
type PublishError struct {
	// Stored reports, for each event of the batch, whether JetStream
	// acknowledged it.
	Stored []bool
	// Failed is how many publishes failed; the events behind a failed one
	// on its subject were not sent.
	Failed int
	// Err is the first failure, in batch order.
	Err error
}

func (e *PublishError) Error() string {
	stored := 0
	for _, ok := range e.Stored {
		if ok {
			stored++
		}
	}
	return fmt.Sprintf("%d of %d events stored, %d publishes failed: %v", stored, len(e.Stored), e.Failed, e.Err)
}

func (e *PublishError) Unwrap() error { return e.Err }

// PublishOrdered publishes events so that each subject's events are
// stored in the order they have in the batch, even when a publish fails:
// a subject has one event in flight at a time, the next sent once
// JetStream has acknowledged it, and after a failure the subject's later
// events are not sent. Different subjects are in flight together, up to
// batchWindow publishes, sent in the order of the batch as far as that
// allows.
//
// It returns nil when every event is stored (or was already), and
// otherwise a *PublishError saying which were: those of each subject form
// a prefix of its events, so publishing the others again, in order, keeps
// the subject's order. When ctx ends, the publishes in flight and those
// still to come count as failed.
func PublishOrdered(ctx context.Context, js jetstream.JetStream, events []Event) error {
	p := newOrderedPublish(events)
	// Acknowledgements come back in the order of the publishes (a stream
	// stores what one connection sends in order), so waiting for the
	// oldest in flight costs no throughput: by the time it is
	// acknowledged, the rest of the window is on its way.
	inflight := make([]pendingAck, 0, min(len(events), batchWindow))
	indexes := make([]int, 0, cap(inflight))
	for {
		for len(inflight) < batchWindow && len(p.ready) > 0 {
			i := p.send()
			if err := ctx.Err(); err != nil {
				p.done(i, fmt.Errorf("publish %s to %s: %w", events[i].ID, events[i].Subject, err))
				continue
			}
			f, err := js.PublishMsgAsync(NewMsg(ctx, events[i]))
			if err != nil {
				p.done(i, fmt.Errorf("publish %s to %s: %w", events[i].ID, events[i].Subject, err))
				continue
			}
			inflight = append(inflight, pendingAck{events[i], f})
			indexes = append(indexes, i)
		}
		if len(inflight) == 0 {
			return p.result()
		}
		p.done(indexes[0], inflight[0].wait(ctx))
		inflight, indexes = inflight[1:], indexes[1:]
	}
}

// orderedPublish is the state of a PublishOrdered: which events of each
// subject went out, and which subjects have an event ready to send.
type orderedPublish struct {
	subjects [][]int // event indexes by subject, in batch order
	next     []int   // by subject: how many of its events were sent
	subject  []int   // by event: its subject
	// ready are the subjects whose next event may be sent: none of theirs
	// is in flight, none failed, and one is left.
	ready  []int
	stored []bool
	errs   []error
}

func newOrderedPublish(events []Event) *orderedPublish {
	p := &orderedPublish{subject: make([]int, len(events)), stored: make([]bool, len(events)), errs: make([]error, len(events))}
	bySubject := make(map[string]int)
	for i, e := range events {
		s, ok := bySubject[e.Subject]
		if !ok {
			s = len(p.subjects)
			bySubject[e.Subject] = s
			p.subjects = append(p.subjects, nil)
			p.ready = append(p.ready, s)
		}
		p.subjects[s] = append(p.subjects[s], i)
		p.subject[i] = s
	}
	p.next = make([]int, len(p.subjects))
	return p
}

// send takes the next event of the first ready subject and returns its
// index.
func (p *orderedPublish) send() int {
	s := p.ready[0]
	p.ready = p.ready[1:]
	i := p.subjects[s][p.next[s]]
	p.next[s]++
	return i
}

// done records the outcome of event i's publish; a subject with events
// left becomes ready again after a success.
func (p *orderedPublish) done(i int, err error) {
	if err != nil {
		p.errs[i] = err
		return
	}
	p.stored[i] = true
	if s := p.subject[i]; p.next[s] < len(p.subjects[s]) {
		p.ready = append(p.ready, s)
	}
}

func (p *orderedPublish) result() error {
	var perr *PublishError
	for _, err := range p.errs {
		if err == nil {
			continue
		}
		if perr == nil {
			perr = &PublishError{Stored: p.stored, Err: err}
		}
		perr.Failed++
	}
	if perr != nil {
		return perr
	}
	return nil
}
