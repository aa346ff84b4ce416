package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// AwaitDeliveries waits up to timeout until the durable consumer of stream
// has made at least n deliveries, first ones and repeats together: how a
// test knows a failing handler has been retried past a budget without
// sleeping for it.
func AwaitDeliveries(t testing.TB, js jetstream.JetStream, stream, durable string, n int, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	cons, err := js.Consumer(ctx, stream, durable)
	if err != nil {
		t.Fatal(err)
	}
	Eventually(t, timeout, func() error {
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.Delivered.Consumer < uint64(n) {
			return fmt.Errorf("%s made %d deliveries, waiting for %d", durable, info.Delivered.Consumer, n)
		}
		return nil
	})
}
