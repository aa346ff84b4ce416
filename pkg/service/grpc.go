package service

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/upstatehq/upstate/pkg/grpcx"
)

// grpcServer serves one unit's gRPC API and keeps its health in step with
// the unit's infrastructure.
type grpcServer struct {
	srv    *grpcx.Server
	lis    net.Listener
	logger *slog.Logger
	done   chan struct{} // closed when Serve returns
	cancel context.CancelFunc
}

func newGRPC(svc GRPCService, lis net.Listener, logger *slog.Logger, reg prometheus.Registerer, auth grpcx.Auth, tp trace.TracerProvider) *grpcServer {
	srv := grpcx.NewServer(logger, reg, auth, grpcx.ServerTracing(tp)...)
	svc.RegisterGRPC(srv.Server)
	return &grpcServer{srv: srv, lis: lis, logger: logger, done: make(chan struct{}), cancel: func() {}}
}

func (g *grpcServer) addr() string { return g.lis.Addr().String() }

// serve serves in the background and checks ready every interval: while
// it fails (the database or NATS is gone), every service on the server
// reports NOT_SERVING, so gRPC clients and probes route around it.
func (g *grpcServer) serve(ready func(context.Context) error, interval time.Duration) {
	go func() {
		defer close(g.done)
		if err := g.srv.Serve(g.lis); err != nil {
			g.logger.Error("grpc server stopped", "err", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	names := []string{""}
	for name := range g.srv.GetServiceInfo() {
		names = append(names, name)
	}
	set := func(s healthpb.HealthCheckResponse_ServingStatus) {
		for _, n := range names {
			g.srv.Health.SetServingStatus(n, s)
		}
	}
	set(healthpb.HealthCheckResponse_SERVING)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		serving := true
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			checkCtx, cancelCheck := context.WithTimeout(ctx, interval)
			err := ready(checkCtx)
			cancelCheck()
			if ctx.Err() != nil {
				return
			}
			switch {
			case err != nil && serving:
				g.logger.Warn("not serving: a dependency does not answer", "err", err)
				set(healthpb.HealthCheckResponse_NOT_SERVING)
			case err == nil && !serving:
				g.logger.Info("serving again")
				set(healthpb.HealthCheckResponse_SERVING)
			}
			serving = err == nil
		}
	}()
}

// stop ends the health checks, then stops the server gracefully (it
// reports NOT_SERVING first), forcing it when ctx ends.
func (g *grpcServer) stop(ctx context.Context) {
	g.cancel()
	g.srv.Stop(ctx)
	select {
	case <-g.done:
	case <-ctx.Done():
	}
}
