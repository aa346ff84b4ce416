// Package grpcx builds gRPC servers and clients the same way in every
// service: authentication (a shared token, mutual TLS), health service,
// panic recovery, request ids carried in metadata,
// one log line per failed call, server faults kept from callers, field
// violations of invalid arguments, and Prometheus metrics.
package grpcx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/logging"
)

// maxConnectionAge is how long a client connection lives before the
// server asks the client to reconnect (gRPC adds ±10 % jitter).
const maxConnectionAge = 5 * time.Minute

// requestIDHeader carries the caller's request id across gRPC hops.
const requestIDHeader = "x-request-id"

// Server is a gRPC server with its health service.
type Server struct {
	*grpc.Server
	Health *health.Server
	logger *slog.Logger
}

// NewServer returns a server whose calls are authenticated by auth,
// recovered, measured and logged: a call without auth's credentials is
// refused with Unauthenticated, health excepted. extra adds options (see
// ServerTracing). Register services on it, then call Serve.
func NewServer(logger *slog.Logger, reg prometheus.Registerer, auth Auth, extra ...grpc.ServerOption) *Server {
	m := newMetrics(reg)
	opts := append(append(auth.serverOptions(), extra...),
		// Clients balancing over a DNS name (dns:///, a headless Service)
		// learn of new replicas only when they resolve again, which a
		// connection closing makes them do: ending every connection after
		// a while spreads calls onto replicas added since. In-flight calls
		// get the grace to finish; the client reconnects at once.
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionAge:      maxConnectionAge,
			MaxConnectionAgeGrace: 30 * time.Second,
		}),
		grpc.ChainUnaryInterceptor(
			auth.unaryInterceptor,
			requestIDInterceptor,
			m.interceptor,
			logInterceptor(logger),
			recoverInterceptor(logger),
		),
		grpc.ChainStreamInterceptor(auth.streamInterceptor),
	)
	srv := grpc.NewServer(opts...)
	h := health.NewServer()
	healthpb.RegisterHealthServer(srv, h)
	return &Server{Server: srv, Health: h, logger: logger}
}

// Serve accepts connections on lis until Stop; it returns nil after a
// graceful stop.
func (s *Server) Serve(lis net.Listener) error {
	if err := s.Server.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		return fmt.Errorf("serve grpc: %w", err)
	}
	return nil
}

// Stop marks every service NOT_SERVING, lets in-flight calls finish and
// forces the stop when ctx ends first.
func (s *Server) Stop(ctx context.Context) {
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.logger.Warn("grpc graceful stop timed out, stopping now")
		s.Server.Stop()
		<-done
	}
}

func requestIDInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(requestIDHeader); len(v) > 0 {
			ctx = logging.WithRequestID(ctx, v[0])
		}
	}
	return next(ctx, req)
}

// logInterceptor is the boundary where a call's error is logged, once, with
// the request id: server faults only, since client errors are the caller's
// to report. The log line has the whole error (Internal and Unavailable
// keep their cause); the caller gets only its status.
func logInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := next(ctx, req)
		err = explicitStatus(err)
		if code := status.Code(err); isServerFault(code) {
			logger.ErrorContext(ctx, "grpc call failed", "method", info.FullMethod,
				"code", code.String(), "duration", time.Since(start), "err", err)
		}
		return resp, err
	}
}

// explicitStatus makes sure only a status a handler chose reaches the
// caller. Any other error, wrapped statuses included (gRPC would send
// their whole text), is a server fault: Internal, with the error as cause.
func explicitStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	return Internal(err)
}

func isServerFault(c codes.Code) bool {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable, codes.Unimplemented:
		return true
	}
	return false
}

func recoverInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				logger.ErrorContext(ctx, "grpc handler panicked", "method", info.FullMethod,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, internalMessage)
			}
		}()
		return next(ctx, req)
	}
}
