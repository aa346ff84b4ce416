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
package bus
