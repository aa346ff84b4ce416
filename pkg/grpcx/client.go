package grpcx

import (
	"context"
	"fmt"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/upstatehq/upstate/pkg/logging"
)

// roundRobin spreads calls over every address the target resolves to, one
// call at a time. gRPC's default (pick_first) sends every call to the
// first address, so replicas behind a `dns:///` name (a Kubernetes
// headless Service) or a list of addresses would share none of the load.
// A plain host:port keeps pick_first: with one address there is nothing
// to spread, and pick_first reconnects as soon as a call needs it, where
// round robin fails calls fast until its backoff lets it try again, which
// after a restart of the one server answers 503s for a while.
const roundRobin = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// Dial returns a client connection to target that presents auth's
// credentials on every call: the token, and under mutual TLS its
// certificate, verifying the server's against the CA (the server's
// certificate must name the host in target). Target is "host:port", any
// gRPC target (`dns:///name:port` for the replicas behind a name), or a
// comma-separated list of host:port, one per replica. Calls are balanced
// per call across the replicas of a list or a name. The connection is
// lazy: it connects on first use and reconnects by itself. extra adds
// options (see ClientTracing).
func Dial(target string, auth Auth, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := append(auth.dialOptions(), grpc.WithUnaryInterceptor(propagateRequestID))
	if strings.Contains(target, ",") || strings.Contains(target, ":///") {
		opts = append(opts, grpc.WithDefaultServiceConfig(roundRobin))
	}
	if strings.Contains(target, ",") {
		var static grpc.DialOption
		var err error
		target, static, err = staticTarget(target)
		if err != nil {
			return nil, err
		}
		opts = append(opts, static)
	}
	conn, err := grpc.NewClient(target, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

// staticTarget turns a list of host:port into a target and a resolver
// that answers with exactly those addresses. Each address carries its
// host as the TLS server name, as a single host:port target would.
func staticTarget(list string) (string, grpc.DialOption, error) {
	var state resolver.State
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return "", nil, fmt.Errorf("dial %s: address %q: %w", list, a, err)
		}
		state.Addresses = append(state.Addresses, resolver.Address{Addr: a, ServerName: host})
	}
	r := manual.NewBuilderWithScheme("static")
	r.InitialState(state)
	return r.Scheme() + ":///" + list, grpc.WithResolvers(r), nil
}

func propagateRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if id := logging.RequestID(ctx); id != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, requestIDHeader, id)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
