package testenv

import (
	"testing"
	"time"
)

// pollInterval is how often Eventually retries.
const pollInterval = 15 * time.Millisecond

// Eventually calls f until it returns nil, and fails the test with f's last
// error if that has not happened within timeout. Tests await asynchronous
// effects with it instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not true after %s: %v", timeout, err)
			return
		}
		time.Sleep(pollInterval)
	}
}
