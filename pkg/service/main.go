package service

import (
	"context"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/tracing"
)

// Binary is the configuration of a one-service binary: config.Common
// embedded, where its HTTP endpoints (health, metrics, and its routes if
// it has any) listen, and the validation of all of it.
type Binary interface {
	Base() config.Common
	HTTPListen() string
	Validate() error
}

// NATSAuth turns the NATS settings of a binary into a client's credentials.
func NATSAuth(a config.NATSAuth) bus.Auth {
	return bus.Auth{
		CredsFile: a.NATSCreds, User: a.NATSUser, Password: a.NATSPassword.Reveal(),
		TLSCA: a.NATSTLSCA, TLSCert: a.NATSTLSCert, TLSKey: a.NATSTLSKey,
	}
}

// GRPCAuth turns the gRPC settings into the credentials a host's servers
// require and its clients present, loading the TLS files if set.
func GRPCAuth(g config.GRPC) (grpcx.Auth, error) {
	auth := grpcx.Auth{Token: g.Token.Reveal()}
	if g.TLS() {
		tls, err := grpcx.LoadMutualTLS(g.TLSCert, g.TLSKey, g.TLSCA)
		if err != nil {
			return grpcx.Auth{}, err
		}
		auth.TLS = tls
	}
	return auth, nil
}

// StartTracing starts the process's tracing as t configures it (nil when
// off) and pushes its shutdown on stack: pushed before the host's, it runs
// after every service has stopped, and sends the last spans.
func StartTracing(ctx context.Context, t config.Tracing, stack *lifecycle.Stack) (*tracing.Tracing, error) {
	tr, err := tracing.New(ctx, tracing.Options{Endpoint: t.OTLPEndpoint, TracesEndpoint: t.OTLPTracesEndpoint, Protocol: t.OTLPProtocol})
	if err != nil || tr == nil {
		return nil, err
	}
	stack.Push("tracing", tr.Shutdown)
	return tr, nil
}

// Main is the main function of every bin/<service>: it loads C from the
// environment (refusing a bad value by its variable's name), runs the
// unit it describes on a host of its own, serves HTTP, and on SIGTERM
// stops in order and exits.
func Main[C Binary](name string, unit func(C) Unit) {
	var cfg C
	lifecycle.Main(name, func() (lifecycle.Options, error) {
		c, err := config.Load[C]()
		if err == nil {
			err = c.Validate()
		}
		cfg = c
		b := c.Base()
		return lifecycle.Options{
			Log:             logging.Options{Level: b.LogLevel, Format: b.LogFormat},
			ShutdownTimeout: b.ShutdownTimeout,
			Config:          c,
		}, err
	}, func(ctx context.Context, p *lifecycle.Process) error {
		b, u := cfg.Base(), unit(cfg)
		auth, err := GRPCAuth(b.GRPC)
		if err != nil {
			return err
		}
		tr, err := StartTracing(ctx, b.Tracing, p.Stack)
		if err != nil {
			return err
		}
		h := NewHost(Options{
			Logger: p.Logger, Registry: p.Registry, Stack: p.Stack, RedactPath: u.RedactPath, Name: u.Name,
			Env: Env{
				DatabaseURL: b.DatabaseURL.Reveal(), NATSURL: b.NATSURL, StreamReplicas: b.StreamReplicas,
				NATSAuth: NATSAuth(b.NATSAuth), GRPC: auth, Tracing: tr,
			},
		})
		r, err := h.Start(ctx, u)
		if err != nil {
			return err
		}
		addr, err := h.ServeHTTP(cfg.HTTPListen())
		if err != nil {
			return err
		}
		p.Logger.Info(name+" ready", "grpc_addr", r.GRPCAddr(), "http_addr", addr.String())
		<-ctx.Done()
		p.Logger.Info("shutting down")
		return nil
	})
}
