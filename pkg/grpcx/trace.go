package grpcx

import (
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// ServerTracing returns the server option that traces every call but
// health checks with tp, continuing the caller's trace; none when tp is
// nil (tracing off).
func ServerTracing(tp trace.TracerProvider) []grpc.ServerOption {
	if tp == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelOptions(tp)...))}
}

// ClientTracing returns the dial option that traces every call with tp
// and sends the caller's trace context along; none when tp is nil.
func ClientTracing(tp trace.TracerProvider) []grpc.DialOption {
	if tp == nil {
		return nil
	}
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelOptions(tp)...))}
}

func otelOptions(tp trace.TracerProvider) []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithPropagators(tracing.Propagator()),
		// Probes every few seconds would bury the calls that matter.
		otelgrpc.WithFilter(func(ri *stats.RPCTagInfo) bool {
			return !strings.HasPrefix(ri.FullMethodName, "/grpc.health.v1.Health/")
		}),
	}
}
