package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/upstatehq/upstate/pkg/lifecycle"
)

// Serve listens on addr and serves h in the background. It pushes onto
// stack the stop that first makes health report not-ready, so load
// balancers stop sending requests, then drains the server. It returns the
// address listened on (useful with port 0).
func Serve(addr string, h http.Handler, health *Health, stack *lifecycle.Stack, logger *slog.Logger) (net.Addr, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen http on %s: %w", addr, err)
	}
	srv := NewServer(h)
	go func() {
		if err := srv.Serve(lis); err != nil {
			logger.Error("http server stopped", "err", err)
		}
	}()
	stack.Push("http", func(ctx context.Context) error {
		health.SetDraining()
		return srv.Shutdown(ctx)
	})
	return lis.Addr(), nil
}
