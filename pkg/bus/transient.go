package bus

import (
	"context"
	"errors"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Transient marks err as a dependency being unavailable (a database down,
// another service unreachable), not a fault of the message: the message is
// retried, with a growing delay, for as long as the outage lasts, and the
// failure does not count towards dead-lettering it. Errors that
// IsUnavailable recognises, or ConsumerConfig.Unavailable, need no mark.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

// IsTransient reports whether err, or an error it wraps, was marked with
// Transient.
func IsTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// unavailableErrors are what NATS and JetStream return when they could not
// be reached or did not answer in time.
var unavailableErrors = []error{
	nats.ErrTimeout,
	context.DeadlineExceeded,
	nats.ErrNoResponders,
	jetstream.ErrNoStreamResponse,
	nats.ErrConnectionClosed,
	nats.ErrConnectionDraining,
	nats.ErrConnectionReconnecting,
	nats.ErrDisconnected,
}

// IsUnavailable reports whether err says NATS or JetStream could not be
// reached or did not answer in time: a publish not acknowledged before its
// deadline (or any other deadline that passed), no responders (a stream
// without a leader, or none at all), a connection that is closed, draining
// or reconnecting, or JetStream answering 503. A consumer treats such
// handler errors as transient.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	for _, target := range unavailableErrors {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusServiceUnavailable
}
