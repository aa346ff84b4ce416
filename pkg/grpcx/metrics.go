package grpcx

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/promx"
)

type metrics struct {
	handled  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_handled_total",
			Help: "gRPC calls completed by the server, by method and code.",
		}, []string{"grpc_method", "grpc_code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_server_handling_seconds",
			Help:    "Time the server took to handle a gRPC call.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"grpc_method"}),
	}
	// Several services share one registry in the all-in-one binary; the
	// first registration wins and the others reuse its collectors.
	m.handled = promx.Register(reg, m.handled)
	m.duration = promx.Register(reg, m.duration)
	return m
}

func (m *metrics) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := next(ctx, req)
	m.duration.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
	m.handled.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
	return resp, err
}
