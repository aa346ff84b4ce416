package bus

import (
	"errors"
	"time"
)

// Defer asks for the message back after delay: neither a failure of the
// message (it is not counted towards dead-lettering it) nor an outage (it
// is not held in place). It is for handlers that keep their own retry
// schedule, such as a work queue of outbound deliveries whose far side
// answered 503 or Retry-After: the message is redelivered with
// NakWithDelay and the handler decides itself when to give up (returning
// a Permanent error then).
func Defer(err error, delay time.Duration) error {
	if err == nil {
		return nil
	}
	return &deferredError{err: err, delay: max(delay, 0)}
}

// deferral returns the delay err asks for, if it is a Defer.
func deferral(err error) (time.Duration, bool) {
	var d *deferredError
	if errors.As(err, &d) {
		return d.delay, true
	}
	return 0, false
}

type deferredError struct {
	err   error
	delay time.Duration
}

func (e *deferredError) Error() string { return e.err.Error() }
func (e *deferredError) Unwrap() error { return e.err }
