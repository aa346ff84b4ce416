// Package groupcommit gathers concurrent requests into batches applied
// together, typically in one database transaction: under load, many
// callers share one commit (one fsync) instead of queueing for one each.
//
// It batches without waiting: a request goes at once when a commit slot
// is free, and the requests that arrive while all slots are busy form the
// next batch. An idle caller therefore pays no delay, and batches grow
// with the load, up to MaxBatch. Requests of one batch are applied in the
// order they arrived; a caller that waits for its answer before sending
// its next request sees its requests applied in order.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// Result is the outcome of one request of a batch.
type Result[Res any] struct {
	Value Res
	Err   error
}

// Apply applies a batch of requests, in order, and returns one result per
// request, in the same order. It decides what a failure fails: a request
// refused on its own gets an error in its Result; a failure of the whole
// batch should be retried request by request (see Isolate), so that one
// bad request fails only its caller.
type Apply[Req, Res any] func(ctx context.Context, reqs []Req) []Result[Res]

// Options tune a Group.
type Options struct {
	// MaxBatch is the most requests applied together (default 128).
	MaxBatch int
	// Concurrency is how many batches are applied at once (default 4): a
	// request waits only while that many are in flight.
	Concurrency int
	// Timeout bounds the application of one batch (default 10s). The
	// callers' contexts are not used, so that one caller going away does
	// not fail the others.
	Timeout time.Duration
}

// Group gathers requests into batches.
type Group[Req, Res any] struct {
	apply Apply[Req, Res]
	opts  Options
	slots chan struct{}

	mu    sync.Mutex
	queue []*call[Req, Res]
}

type call[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Result[Res]
	done chan struct{}
}

// New returns a group that applies batches with apply.
func New[Req, Res any](apply Apply[Req, Res], opts Options) *Group[Req, Res] {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Group[Req, Res]{apply: apply, opts: opts, slots: make(chan struct{}, opts.Concurrency)}
}

// Do applies req with the requests gathered around it and returns its own
// result. If ctx ends first, Do returns ctx's error; the request may still
// be applied, as any request whose caller gave up after sending it.
func (g *Group[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	c := &call[Req, Res]{ctx: ctx, req: req, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	g.kick()
	select {
	case <-c.done:
		return c.res.Value, c.res.Err
	case <-ctx.Done():
		var zero Res
		return zero, ctx.Err()
	}
}

// kick starts a flusher if a slot is free.
func (g *Group[Req, Res]) kick() {
	select {
	case g.slots <- struct{}{}:
		go g.flush()
	default:
		// Every slot is busy: one of them takes the queue when done.
	}
}

// flush applies batches from the queue until it is empty, then frees its
// slot.
func (g *Group[Req, Res]) flush() {
	for {
		batch := g.take()
		if len(batch) == 0 {
			<-g.slots
			// A request queued after take found every slot busy, this
			// one's included: look again now that it is free.
			g.mu.Lock()
			pending := len(g.queue) > 0
			g.mu.Unlock()
			if pending {
				g.kick()
			}
			return
		}
		g.run(batch)
	}
}

// take removes up to MaxBatch requests from the queue, dropping those
// whose caller has gone already.
func (g *Group[Req, Res]) take() []*call[Req, Res] {
	g.mu.Lock()
	defer g.mu.Unlock()
	var batch []*call[Req, Res]
	for len(g.queue) > 0 && len(batch) < g.opts.MaxBatch {
		c := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		if c.ctx.Err() != nil {
			continue
		}
		batch = append(batch, c)
	}
	return batch
}

func (g *Group[Req, Res]) run(batch []*call[Req, Res]) {
	reqs := make([]Req, len(batch))
	for i, c := range batch {
		reqs[i] = c.req
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	ctx, span := startSpan(ctx, batch)
	results := g.apply(ctx, reqs)
	if span != nil {
		span.End()
	}
	for i, c := range batch {
		if i < len(results) {
			c.res = results[i]
		} else {
			c.res.Err = errors.New("groupcommit: no result for the request")
		}
		close(c.done)
	}
}

// Isolate is the usual Apply: all requests with applyAll (one
// transaction), and, if that fails as a whole, each alone with applyOne,
// so that the request at fault fails alone.
func Isolate[Req, Res any](applyAll func(context.Context, []Req) ([]Result[Res], error), applyOne func(context.Context, Req) (Res, error)) Apply[Req, Res] {
	return func(ctx context.Context, reqs []Req) []Result[Res] {
		if len(reqs) > 1 {
			if out, err := applyAll(ctx, reqs); err == nil {
				return out
			}
		}
		out := make([]Result[Res], len(reqs))
		for i, r := range reqs {
			out[i].Value, out[i].Err = applyOne(ctx, r)
		}
		return out
	}
}

// startSpan starts the span of a batch whose callers trace: a child of
// the first traced caller's span, linked to the others', so that what the
// batch writes (outbox events) continues a trace, as a consumer's batch
// does. Without a traced caller it starts nothing.
func startSpan[Req, Res any](ctx context.Context, batch []*call[Req, Res]) (context.Context, trace.Span) {
	var parent trace.Span
	var links []trace.Link
	for _, c := range batch {
		sp := trace.SpanFromContext(c.ctx)
		switch {
		case !sp.SpanContext().IsValid():
		case parent == nil:
			parent = sp
		default:
			links = append(links, trace.Link{SpanContext: sp.SpanContext()})
		}
	}
	if parent == nil {
		return ctx, nil
	}
	ctx = trace.ContextWithSpan(ctx, parent)
	return parent.TracerProvider().Tracer(tracing.Tracer).Start(ctx, "group commit",
		trace.WithLinks(links...), trace.WithAttributes(attribute.Int("upstate.batch.requests", len(batch))))
}
