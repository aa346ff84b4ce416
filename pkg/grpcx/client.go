package grpcx

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/upstatehq/upstate/pkg/logging"
)

// Dial returns a client connection to target ("host:port" or any gRPC
// target) that presents auth's credentials on every call: the token, and
// under mutual TLS its certificate, verifying the server's against the CA
// (the server's certificate must name the host in target). The connection
// is lazy: it connects on first use and reconnects by itself. extra adds
// options (see ClientTracing).
func Dial(target string, auth Auth, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := append(auth.dialOptions(), grpc.WithUnaryInterceptor(propagateRequestID))
	conn, err := grpc.NewClient(target, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

func propagateRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if id := logging.RequestID(ctx); id != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, requestIDHeader, id)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
