package integration

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
	status "github.com/upstatehq/upstate/services/status/app"
)

// streamCount is the number of messages on the STATUS stream.
func streamCount(t *testing.T, s *stack) uint64 {
	t.Helper()
	st, err := s.js.Stream(context.Background(), bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// restartStatusWith stops the running status service and starts a new one
// on the same gRPC address, publishing through js.
func (s *stack) restartStatusWith(js jetstream.JetStream) {
	t := s.t
	t.Helper()
	addr := s.status.GRPCAddr()
	stopApp(t, s.status.Stop)
	s.status = status.New(status.Config{GRPCAddr: addr, StreamReplicas: 1},
		status.Deps{Pool: testenv.NewPool(t, s.dsn), JS: js, NC: js.Conn(), Logger: logging.Discard(), Registry: prometheus.NewRegistry()})
	if err := s.status.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	app := s.status
	t.Cleanup(func() { stopApp(t, app.Stop) })
}
