package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is an HTTP server that shuts down gracefully.
type Server struct {
	srv *http.Server
	// closing is closed when Shutdown starts, for the responses that
	// would otherwise keep it waiting (event streams): see Closing.
	closing chan struct{}
}

// closingKey carries a server's closing channel in its requests' contexts.
type closingKey struct{}

// NewServer returns a server for handler with conservative timeouts.
func NewServer(handler http.Handler) *Server {
	s := &Server{closing: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), closingKey{}, (<-chan struct{})(s.closing))
		},
	}
	s.srv.RegisterOnShutdown(func() { close(s.closing) })
	return s
}

// Closing returns a channel that is closed when the server serving the
// request of ctx starts shutting down. A response that lasts until the
// client leaves (server-sent events) ends on it, so that a drain does not
// wait for it; ordinary requests ignore it and finish. Outside such a
// server it returns nil, which never fires.
func Closing(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(closingKey{}).(<-chan struct{})
	return ch
}

// Serve accepts connections on lis until Shutdown; it returns nil after a
// graceful shutdown.
func (s *Server) Serve(lis net.Listener) error {
	if err := s.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// Shutdown stops accepting requests and waits for in-flight ones until ctx
// ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}
