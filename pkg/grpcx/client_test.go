package grpcx

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// A list of addresses is one target whose calls are spread over all of
// them, call by call, not sent to the first one.
func TestDialBalancesCallsOverAList(t *testing.T) {
	t.Parallel()
	const replicas, calls = 3, 30
	counts := make([]atomic.Int64, replicas)
	addrs := make([]string, replicas)
	for i := range replicas {
		count := &counts[i]
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		counting := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
			count.Add(1)
			return next(ctx, req)
		}))
		counting.RegisterService(pinger, struct{}{})
		go func() { _ = counting.Serve(lis) }()
		t.Cleanup(counting.Stop)
		addrs[i] = lis.Addr().String()
	}
	conn, err := Dial(strings.Join(addrs, ","), Auth{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ping := func() {
		t.Helper()
		if err := conn.Invoke(ctx, "/upstate.test.v1.PingService/Ping", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	// Calls go to the replicas connected so far, which is one at first:
	// every replica is reached once its connection is up.
	for i := range counts {
		for counts[i].Load() == 0 {
			ping()
		}
	}
	for i := range counts {
		counts[i].Store(0)
	}
	for range calls {
		ping()
	}
	for i := range counts {
		if n := counts[i].Load(); n != calls/replicas {
			t.Errorf("replica %d took %d of %d calls, want %d", i, n, calls, calls/replicas)
		}
	}
}

// A malformed address in a list is refused when dialling.
func TestDialRefusesABadList(t *testing.T) {
	t.Parallel()
	if _, err := Dial("127.0.0.1:1,nohost", Auth{}); err == nil {
		t.Fatal("dial of a list with an address without a port succeeded")
	}
}
