package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// Consumer defaults.
const (
	DefaultMaxDeliver = 10
	DefaultAckWait    = 30 * time.Second
	DefaultBatchSize  = 100
)

// Handler processes one message. Returning nil acknowledges it. An error
// has the message redelivered after a delay, and says whose fault it was:
//
//   - a transient error (marked with Transient, recognised by IsUnavailable
//     or by ConsumerConfig.Unavailable) says a dependency is unavailable:
//     the message is held (kept from redelivery with InProgress) and
//     retried in place after TransientBackoff for as long as that lasts, so
//     later messages of its subject do not overtake it, and the failure
//     does not count against it;
//   - a Permanent error says no retry can help: the message is
//     dead-lettered at once;
//   - any other error, or a panic, is a failure of the message itself: it
//     is retried after Backoff and dead-lettered at its MaxDeliver-th such
//     failure;
//   - an error made with Defer asks for the message back after the delay it
//     names, counting nothing: the handler keeps its own retry schedule.
//
// Handlers must be idempotent: a message can be delivered again even after
// it succeeded.
//
// ctx is not cancelled when the consumer is asked to stop, so a message
// being applied is finished; it is cancelled after AckWait (the server
// redelivers the message then anyway) or when a Stop deadline passes.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// BatchHandler applies several messages at once, in stream order, as one
// unit: all of them or none (one database transaction, typically), so that
// a burst costs one commit rather than one per message. Returning nil
// acknowledges them all. An error is read as a Handler's: a transient one
// has the whole batch retried in place; any other has each message applied
// again on its own, so that the one at fault is found, retried and
// dead-lettered alone while the others go through.
//
// A batch holds messages of several subjects, but those of one subject are
// in stream order and only ever in one batch at a time.
type BatchHandler func(ctx context.Context, msgs []jetstream.Msg) error

// ConsumerConfig configures a durable pull consumer.
type ConsumerConfig struct {
	// Stream and Durable name the stream and the consumer; every replica of
	// a service uses the same Durable and they share the messages.
	Stream, Durable string
	// FilterSubjects restricts the consumer to these subjects (default all
	// of the stream).
	FilterSubjects []string
	// MaxDeliver is how many times a message may fail on its own before it
	// is dead-lettered (default 10). Deliveries that failed transiently, or
	// left no result, do not count: a message waits out an outage of any
	// length (see failures.go).
	MaxDeliver int
	// AckWait is how long the server waits for a result before it
	// redelivers; it also bounds a handler call (default 30s). Messages
	// wait in a local buffer of BatchSize, so BatchSize times the handling
	// time of a message must stay well under AckWait.
	AckWait time.Duration
	// MaxAckPending caps messages delivered but not yet acknowledged,
	// including failed ones waiting for their retry (default: the server's,
	// 1000).
	MaxAckPending int
	// BatchSize is how many messages are pulled at once (default MaxBatch
	// times Concurrency when MaxBatch is set, else 100).
	BatchSize int
	// MaxBatch is the most messages a BatchHandler gets at once (default
	// BatchSize; always 1 for a Handler). A batch takes what has arrived
	// and waits for nothing more, so it is small when traffic is light and
	// grows with a backlog.
	MaxBatch int
	// Concurrency is how many handlers run at once (default 1). Messages
	// are assigned to handlers by subject, so those of one subject are
	// handled one batch at a time in stream order, and a transient failure
	// holds them all in place rather than letting later ones overtake it.
	// Across replicas (but see Pinned), or after a message failed on its
	// own, order is not guaranteed, which is why consumers must be
	// order-safe anyway.
	Concurrency int
	// Pinned makes the replicas sharing the durable consumer take its
	// messages one replica at a time (JetStream's pinned client): the
	// stream order that Concurrency keeps per subject then holds across
	// replicas too, where replicas pulling in parallel would apply a
	// subject's messages out of order. Another replica takes over at once
	// when the pinned one stops, and PinnedTTL after it died; the others
	// are standbys. For a consumer whose effects depend on the order of
	// what it applies (an older report is ignored once a newer one was
	// applied).
	Pinned bool
	// Backoff is the delay before redelivering a message that failed on
	// its own for the failures-th time (default FullJitter(500ms, 1m)).
	Backoff func(failures int) time.Duration
	// Unavailable reports whether a handler error says a dependency is
	// unavailable, such as pgdb.IsUnavailable or grpcx.IsUnavailable: the
	// failure is then transient (see Handler), like errors marked with
	// Transient and those IsUnavailable recognises, which need no
	// Unavailable.
	Unavailable func(error) bool
	// TransientBackoff is the delay before retrying messages whose
	// attempt-th try failed transiently (default FullJitter(500ms, 30s)):
	// it grows while the outage lasts, bounded so that the messages are
	// applied soon after its end.
	TransientBackoff func(attempt int) time.Duration
	// Start is where the consumer begins when it is created (default
	// FromOldest); a consumer that exists keeps its position.
	Start Start
	// Independent says the messages do not depend on one another, as in a
	// work queue of outbound deliveries: any free handler takes the next
	// message whatever its subject, so a slow or failing message holds
	// only its own handler, never the messages that hash alike. Such
	// handlers usually retry with Defer rather than being held in place.
	Independent bool
}

func (cfg *ConsumerConfig) setDefaults() error {
	if cfg.Stream == "" || cfg.Durable == "" {
		return errors.New("stream and durable are required")
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	switch {
	case cfg.BatchSize <= 0 && cfg.MaxBatch > 0:
		// Enough buffered for every handler to find a full batch waiting.
		cfg.BatchSize = cfg.MaxBatch * cfg.Concurrency
	case cfg.BatchSize <= 0:
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = cfg.BatchSize
	}
	if cfg.Backoff == nil {
		cfg.Backoff = FullJitter(DefaultBackoffBase, DefaultBackoffCap)
	}
	if cfg.TransientBackoff == nil {
		cfg.TransientBackoff = FullJitter(DefaultBackoffBase, DefaultTransientBackoffCap)
	}
	return nil
}

// consumerConfig is the server-side definition, but for its start (see
// ensureConsumer). The server's MaxDeliver is unlimited: the server counts
// every delivery, those that failed transiently or left no result
// included, so the consumer counts the failures of each message itself and
// dead-letters at MaxDeliver of them. A server limit would also silently
// stop redelivering a message whose last attempt crashed, timed out or
// failed to reach the dead-letter stream, leaving it nowhere.
func (cfg *ConsumerConfig) consumerConfig() jetstream.ConsumerConfig {
	c := jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		FilterSubjects: cfg.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  cfg.MaxAckPending,
	}
	if cfg.Pinned {
		c.PriorityPolicy = jetstream.PriorityPolicyPinned
		c.PriorityGroups = []string{pinnedGroup}
		c.PinnedTTL = cfg.pinnedTTL()
	}
	return c
}

// unpinTimeout bounds the hand-over of a stopping Pinned consumer.
const unpinTimeout = 2 * time.Second

// pinnedGroup is the priority group the replicas of a Pinned consumer
// pull in.
const pinnedGroup = "replicas"

// pinnedTTL is how long a pinned replica that stopped pulling without
// unpinning (it died) keeps the consumer. Longer than AckWait: when
// another replica takes over, what the dead one held is due for
// redelivery, which the server sends before any newer message, so the
// order holds across a crash too (at the cost of applying nothing for
// that long).
func (cfg *ConsumerConfig) pinnedTTL() time.Duration {
	return cfg.AckWait + 2*pullExpiry
}

// Consumer is a running consumer loop.
type Consumer struct {
	js       jetstream.JetStream
	cfg      ConsumerConfig
	h        BatchHandler
	logger   *slog.Logger
	failures *failures
	// tracer traces handler calls; nil when the service does not trace.
	tracer trace.Tracer

	// handlerCtx is the parent of handler contexts: it keeps the values of
	// Consume's ctx but not its cancellation, and is cancelled when a Stop
	// deadline passes.
	handlerCtx context.Context
	cancelHard context.CancelFunc
	// stopping is cancelled when stopping starts, so that a resubscribe
	// attempt in flight (the server may be gone) does not delay Stop.
	stopping       context.Context
	cancelStopping context.CancelFunc
	// abandoned is cancelled when the iterator is stopped without a
	// connection (or a Stop deadline passes): the iterator's Next may then
	// never return on its own, as closing its subscription needs the
	// server, so run waits for it with this context.
	abandoned       context.Context
	cancelAbandoned context.CancelFunc
	workers         []chan jetstream.Msg
	workersDone     sync.WaitGroup
	// gaveUp is set when Stop interrupted the wait for a dependency: the
	// messages still buffered are given back without trying them, as they
	// would only wait for the same outage.
	gaveUp atomic.Bool
	// pinID is the pin id of the last message of a Pinned consumer: this
	// replica's, while it is the pinned one. The run loop keeps the
	// consumer sequence of the last message in delivered, and the
	// hand-over a jump in that sequence starts in handover.
	pinID     atomic.Value
	delivered uint64
	handover  *handover

	stop chan struct{} // closed when stopping starts
	done chan struct{} // closed when everything has returned

	mu   sync.Mutex // guards iter and closing stop
	iter jetstream.MessagesContext
}

// Consume creates the durable consumer cfg.Durable on cfg.Stream (starting
// where cfg.Start says), or updates it if it exists (keeping its position),
// and handles its messages with h until Stop is called or ctx is cancelled
// (which drains like Stop without a deadline). It returns an
// error if the consumer cannot be created; later failures (a lost
// connection, a deleted consumer) are logged and retried.
func Consume(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, h Handler, logger *slog.Logger) (*Consumer, error) {
	if h == nil {
		return nil, errors.New("consume: handler is required")
	}
	cfg.MaxBatch = 1
	return ConsumeBatch(ctx, js, cfg, func(ctx context.Context, msgs []jetstream.Msg) error {
		return h(ctx, msgs[0])
	}, logger)
}

// ConsumeBatch is Consume with a handler that applies what has arrived, up
// to cfg.MaxBatch messages, at once.
func ConsumeBatch(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, h BatchHandler, logger *slog.Logger) (*Consumer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	if h == nil {
		return nil, errors.New("consume: handler is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Consumer{
		js:       js,
		cfg:      cfg,
		h:        h,
		logger:   logger.With("stream", cfg.Stream, "consumer", cfg.Durable),
		failures: &failures{js: js},
		tracer:   tracerFrom(ctx),
		workers:  make([]chan jetstream.Msg, cfg.Concurrency),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	iter, err := c.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	c.iter = iter
	c.handlerCtx, c.cancelHard = context.WithCancel(context.WithoutCancel(ctx))
	c.stopping, c.cancelStopping = context.WithCancel(c.handlerCtx)
	c.abandoned, c.cancelAbandoned = context.WithCancel(c.handlerCtx)
	for i := range c.workers {
		// Buffered, so that a worker finds a batch waiting when it is done
		// with the last one.
		switch {
		case !cfg.Independent:
			c.workers[i] = make(chan jetstream.Msg, cfg.MaxBatch)
		case i == 0:
			// One queue that every worker takes from.
			c.workers[i] = make(chan jetstream.Msg, cfg.MaxBatch*cfg.Concurrency)
		default:
			c.workers[i] = c.workers[0]
		}
		c.workersDone.Add(1)
		go c.work(c.workers[i])
	}
	go c.run(iter)
	go func() {
		select {
		case <-ctx.Done():
			c.drain()
		case <-c.done:
		}
	}()
	return c, nil
}

// Stop stops pulling messages, lets the handlers finish the messages
// already received, and returns when they have. If ctx ends first it
// cancels the running handlers' contexts, gives the remaining messages
// back to the server and returns ctx's error. After Stop the connection
// can be drained and closed.
func (c *Consumer) Stop(ctx context.Context) error {
	c.drain()
	select {
	case <-c.done:
		c.unpin(ctx)
		return nil
	case <-ctx.Done():
		c.cancelHard()
		return fmt.Errorf("stop consumer %s: %w", c.cfg.Durable, ctx.Err())
	}
}

// unpin hands a Pinned consumer over to another replica at once, when this
// one, now finished with every message it had, is the pinned one; left
// alone, the server would wait PinnedTTL. Another replica's pin is left
// alone: it may hold messages still being applied. Failing to unpin only
// costs that wait, so it is logged, not returned.
func (c *Consumer) unpin(ctx context.Context) {
	mine, _ := c.pinID.Load().(string)
	if !c.cfg.Pinned || mine == "" {
		return
	}
	// Bounded on its own: the wait it saves is not worth the rest of the
	// shutdown's time.
	ctx, cancel := context.WithTimeout(ctx, unpinTimeout)
	defer cancel()
	err := func() error {
		cons, err := c.js.Consumer(ctx, c.cfg.Stream, c.cfg.Durable)
		if err != nil {
			return err
		}
		for _, g := range cons.CachedInfo().PriorityGroups {
			if g.Group != pinnedGroup || g.PinnedClientID != mine {
				continue
			}
			st, err := c.js.Stream(ctx, c.cfg.Stream)
			if err != nil {
				return err
			}
			return st.UnpinConsumer(ctx, c.cfg.Durable, pinnedGroup)
		}
		return nil
	}()
	if err != nil {
		c.logger.Warn("consumer not unpinned: another replica takes over after the pinned ttl", "err", err, "pinned_ttl", c.cfg.pinnedTTL())
	}
}

// drain marks the consumer stopping and drains the current iterator: it
// pulls no more, and Next returns what is buffered, then an error.
// Draining needs the server; without a connection (now, or lost while
// draining) the buffered messages could not be acknowledged anyway (the
// server redelivers them), so the iterator is stopped instead and run
// stops waiting for it.
func (c *Consumer) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isStopping() {
		return
	}
	close(c.stop)
	c.cancelStopping()
	nc := c.js.Conn()
	// Listen before looking, so that a connection lost in between is seen.
	lost := nc.StatusChanged(nats.DISCONNECTED, nats.RECONNECTING, nats.CLOSED)
	if !nc.IsConnected() {
		nc.RemoveStatusListener(lost)
		c.abandon()
		return
	}
	c.iter.Drain()
	go func() {
		defer nc.RemoveStatusListener(lost)
		select {
		case <-lost:
			c.mu.Lock()
			c.abandon()
			c.mu.Unlock()
		case <-c.done:
		}
	}()
}

// abandon stops the iterator and run's wait for it. Callers hold c.mu.
func (c *Consumer) abandon() {
	c.iter.Stop()
	c.cancelAbandoned()
}

func (c *Consumer) isStopping() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}
