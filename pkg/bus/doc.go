// Package bus holds upstate's JetStream conventions: stream names and
// subjects (subjects.go), stream definitions (EnsureStreams), connecting
// (Connect), publishing events with CloudEvents headers and a Nats-Msg-Id
// (Publish, and PublishOrdered for many at once, which keeps each
// subject's order even when a publish fails), a durable pull-consumer loop that retries
// failures with backoff and moves poison messages to the dead-letter
// stream (Consume, and ConsumeBatch for handlers that apply many at once),
// and consumers' lag for /metrics (LagCollector). A new durable consumer
// starts from the oldest message the stream keeps, from now, or from a
// time (Start); one that exists resumes where it stopped.
//
// Delivery is at least once: a producer republishes until JetStream
// acknowledges, the stream drops copies within its duplicate window, and
// every consumer is idempotent and order-safe for whatever slips through.
//
// # Outages and poison messages
//
// A message the producer was told is stored must not be lost because a
// dependency of its consumer is down. A handler's error therefore says
// whose fault the failure is (see Handler): a transient error (a database
// or another service unavailable, NATS not answering in time) has the
// message held and retried in place, with a delay growing to
// TransientBackoff's cap, for as long as the outage lasts; only failures
// of the message itself (and Permanent errors, at once) lead to the
// dead-letter stream, after MaxDeliver of them.
//
// Holding in place (InProgress keeps the server from redelivering) rather
// than redelivering keeps a subject's messages in order through an
// outage: those behind the held one wait in the worker's queue instead of
// overtaking it. A Stop ends the hold and gives the messages back.
//
// JetStream cannot tell whose fault a failure was: it counts every
// delivery, including those that failed transiently and those that left
// no result (a nak lost with the connection, a message waiting in the
// client's buffer past AckWait behind a held one). So the server's
// MaxDeliver is unlimited and the consumer counts each message's own
// failures in a key-value bucket (FailuresBucket), written only when a
// message fails, shared by the consumer's replicas and kept across
// restarts.
//
// # Work queues
//
// A stream of independent messages, such as the outbound notifications of
// NOTIFY, wants neither order nor holding: ConsumerConfig.Independent lets
// any free handler take the next message, and a handler that keeps its
// own retry schedule (a far side answering 503 or Retry-After) returns
// Defer to have its message back after the delay it chooses, which counts
// no failure and holds nothing else up.
//
// # Batches
//
// ConsumeBatch hands a handler what has arrived, up to MaxBatch messages,
// to apply in one transaction: a backlog is then applied at a few commits
// per thousand messages rather than one each. A batch that fails on its
// own account is split and its messages applied one by one, so a poison
// message is retried and dead-lettered alone.
//
// The price is that a message whose deliveries all end without a result
// (one that kills the process every time) is redelivered until it is
// fixed rather than dead-lettered: a handler's panic is recovered and
// counts as a failure of the message, but a crash is not seen.
//
// # Tracing
//
// An event is published with the W3C trace context (traceparent,
// tracestate headers) of the span it was published under, or of the one
// stored with it (Event.Trace, from an outbox row). A consumer started
// with a context carrying its service's tracer provider
// (tracing.ContextWithProvider; the service host does it) runs each
// handler call in a span that continues the trace of the batch's first
// message and links the others', so that what the handler publishes
// stays in the trace.
package bus
