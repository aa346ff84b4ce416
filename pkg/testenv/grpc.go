package testenv

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/grpcx"
)

// ServeGRPC serves what register puts on a server built as every service's
// is (grpcx: recovery, request ids, logging to logger, metrics; no
// credentials, which pkg/grpcx tests on its own) on a free
// loopback port, and returns a client connection to it; both go away when
// the test ends.
func ServeGRPC(t testing.TB, logger *slog.Logger, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	srv := grpcx.NewServer(logger, prometheus.NewRegistry(), grpcx.Auth{})
	register(srv.Server)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(context.Background()) })
	conn, err := grpcx.Dial(lis.Addr().String(), grpcx.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
