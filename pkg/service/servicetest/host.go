// Package servicetest runs service units in tests as their binaries run them.
package servicetest

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service"
)

// NewHost returns a service host on env's database and NATS that runs
// units as their binaries do, with clock (nil: the wall clock). Its gRPC
// is authenticated as bin/upstate's is: with env's credentials, or a
// random token when env has none; Host.Dial presents them. Whatever
// is started on it stops when the test ends, in reverse order, within ten
// seconds; a stop that fails fails the test.
func NewHost(t testing.TB, env service.Env, clock clockwork.Clock) *service.Host {
	t.Helper()
	if env.GRPC.Token == "" {
		token, err := grpcx.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		env.GRPC.Token = token
	}
	logger := logging.Discard()
	stack := lifecycle.NewStack(logger)
	t.Cleanup(func() {
		// Stopping drains: each consumer finishes the batch it holds. A
		// stack stopped in the middle of a backlog (the reliability
		// scenarios leave a thousand changes for five consumers) under
		// -race on two busy cores has taken more than 10 s; a stop that
		// hangs still fails here.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := stack.Unwind(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return service.NewHost(service.Options{
		Logger: logger, Registry: prometheus.NewRegistry(), Stack: stack, Env: env, Clock: clock,
		HealthInterval: 50 * time.Millisecond,
	})
}
