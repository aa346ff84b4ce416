// Package bus holds upstate's JetStream conventions: stream names and
// subjects (subjects.go), stream definitions (EnsureStreams), connecting
// (Connect), publishing events with CloudEvents headers and a Nats-Msg-Id
// (Publish, PublishBatch), and a durable pull-consumer loop that retries
// failures with backoff and moves poison messages to the dead-letter stream
// (Consume). A new durable consumer starts from the oldest message the
// stream keeps, from now, or from a time (Start); one that exists resumes
// where it stopped.
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
// message retried with a delay growing to TransientBackoff's cap, for as
// long as the outage lasts; only failures of the message itself (and
// Permanent errors, at once) lead to the dead-letter stream, after
// MaxDeliver of them.
//
// JetStream cannot tell these apart: it counts every delivery, including
// those that failed transiently and those that left no result (a nak lost
// with the connection, a message waiting in the client's buffer past
// AckWait while the handlers were slow). So the server's MaxDeliver is
// unlimited and the consumer counts each message's own failures in a
// key-value bucket (FailuresBucket), written only when a message fails,
// shared by the consumer's replicas and kept across restarts. Holding a
// failing message with InProgress instead of redelivering it would not
// help: the messages behind it would still be redelivered, and counted,
// and the hold would keep a worker and a Stop waiting for the outage.
//
// The price is that a message whose deliveries all end without a result
// (one that kills the process every time) is redelivered until it is
// fixed rather than dead-lettered: a handler's panic is recovered and
// counts as a failure of the message, but a crash is not seen.
package bus
