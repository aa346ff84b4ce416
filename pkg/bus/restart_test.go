package bus_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestConsumeSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	logger := testLogger(t)
	dir := t.TempDir()
	srv, err := natsd.Start(natsd.Config{Port: -1, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	_, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)

	ctx := context.Background()
	nc, js, err := bus.Connect(ctx, srv.ClientURL(), t.Name(), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	var r recorder
	consume(t, js, logger, bus.ConsumerConfig{}, r.handle)
	publish(t, js, statusEvent("org_1", "svc_1", 1))
	testenv.Eventually(t, waitFor, func() error {
		if r.count() != 1 {
			return errors.New("first message not handled")
		}
		return nil
	})

	srv.Shutdown()
	testenv.Eventually(t, waitFor, func() error {
		if nc.IsConnected() {
			return errors.New("client still connected")
		}
		return nil
	})
	srv, err = natsd.Start(natsd.Config{Port: port, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)

	testenv.Eventually(t, 3*waitFor, func() error {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return bus.Publish(pctx, js, statusEvent("org_1", "svc_1", 2))
	})
	testenv.Eventually(t, waitFor, func() error {
		if n := r.count(); n != 2 {
			return errors.New("message published after the restart not handled")
		}
		return nil
	})
	settled(t, js, "test")
}
