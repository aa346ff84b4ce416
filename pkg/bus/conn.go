package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishAckTimeout bounds the wait for the acknowledgement of an
// asynchronous publish; without it a publish lost in a disconnect would be
// pending for ever.
const publishAckTimeout = 30 * time.Second

// Auth is how a client proves who it is to the NATS server and checks the
// server's TLS certificate. The zero value connects anonymously, over TLS
// only if the server asks for it.
type Auth struct {
	// CredsFile is a credentials file (a user JWT and its nkey seed), for a
	// server with accounts and JWTs or nkeys.
	CredsFile string
	// User and Password authenticate with a name and a password.
	User, Password string
	// TLSCA is a PEM file of the CAs the server's certificate must chain
	// to (default: the system's).
	TLSCA string
	// TLSCert and TLSKey are a client certificate and its key, for a
	// server that verifies clients.
	TLSCert, TLSKey string
}

// options turns a into connection options.
func (a Auth) options() []nats.Option {
	var opts []nats.Option
	if a.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	}
	if a.User != "" {
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.TLSCA != "" {
		opts = append(opts, nats.RootCAs(a.TLSCA))
	}
	if a.TLSCert != "" || a.TLSKey != "" {
		opts = append(opts, nats.ClientCert(a.TLSCert, a.TLSKey))
	}
	return opts
}

// Client names a connection and says how it authenticates.
type Client struct {
	// Name names the connection in the server's monitoring and logs.
	Name string
	Auth Auth
	// InboxPrefix replaces _INBOX as the prefix of the connection's reply
	// subjects (JetStream API replies, pulled messages, request replies),
	// so a server can let only this client subscribe to them.
	InboxPrefix string
}

// Connect connects to the NATS server at url as the client name and returns
// the connection and a JetStream handle on it. It does not wait for the
// server: if it is not there yet the connection keeps retrying in the
// background, as it does after any later disconnect, so a process can
// start before NATS and outlive its restarts. Connection changes are logged
// to logger. ctx only bounds the setup; the connection outlives it.
func Connect(ctx context.Context, url, name string, logger *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	return ConnectAs(ctx, url, Client{Name: name}, logger)
}

// ConnectAs is Connect with credentials and an inbox prefix of the
// client's own. A server that refuses the credentials closes the
// connection after trying twice, and the error is logged.
func ConnectAs(ctx context.Context, url string, c Client, logger *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	name := c.Name
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("connect nats: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("nats_client", name)
	opts := append(c.Auth.options(),
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ConnectHandler(func(nc *nats.Conn) {
			logger.Info("nats connected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := nc.LastError(); err != nil {
				logger.Warn("nats connection closed", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				logger.Error("nats async error", "subject", sub.Subject, "err", err)
				return
			}
			logger.Error("nats async error", "err", err)
		}),
	)
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect nats: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishAckTimeout))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// ConnCheck returns a readiness check that fails while nc is not connected.
func ConnCheck(nc *nats.Conn) func(context.Context) error {
	return func(context.Context) error {
		if !nc.IsConnected() {
			return errors.New("nats " + nc.Status().String())
		}
		return nil
	}
}

// Drain drains nc — subscriptions finish their pending messages, buffered
// publishes are flushed — and waits until it is closed or ctx ends.
// nats.Conn.Drain alone returns at once and drains in the background, so a
// process stopping right after it (or the embedded server it talks to)
// would cut the drain short.
func Drain(ctx context.Context, nc *nats.Conn) error {
	if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("drain nats: %w", err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("drain nats: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
