package httpx

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// A response that waits on Closing (an event stream) ends when the
// server starts shutting down, so the drain does not wait for its
// timeout; outside a server Closing never fires.
func TestClosingEndsStreamsOnShutdown(t *testing.T) {
	if Closing(context.Background()) != nil {
		t.Fatal("Closing outside a server is not nil")
	}
	started := make(chan struct{})
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-Closing(r.Context()):
		case <-time.After(time.Minute):
			t.Error("the stream never heard of the shutdown")
		}
	}))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	go func() {
		resp, err := http.Get("http://" + lis.Addr().String())
		if err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	begin := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}
