package config

import (
	"errors"
	"time"
)

// Process is what every upstate binary reads, bin/upstate included.
type Process struct {
	LogLevel        string        `env:"UPSTATE_LOG_LEVEL" envDefault:"info" doc:"{debug}, {info}, {warn}, {error}"`
	LogFormat       string        `env:"UPSTATE_LOG_FORMAT" envDefault:"auto" doc:"{json}, {text}, or {auto} (text on a terminal, JSON otherwise)"`
	StreamReplicas  int           `env:"UPSTATE_STREAM_REPLICAS" envDefault:"1" doc:"replicas of the JetStream streams and buckets upstate creates ({3} in a cluster)"`
	ShutdownTimeout time.Duration `env:"UPSTATE_SHUTDOWN_TIMEOUT" envDefault:"25s" doc:"how long SIGTERM waits for in-flight work"`
	GRPC            GRPC
	Tracing         Tracing
}

// Tracing is where OpenTelemetry traces go, under the standard OTLP
// variables; the exporter and the SDK read the other OTEL_* variables
// themselves (see "Tracing" in the README).
type Tracing struct {
	OTLPEndpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT" doc:"an OTLP collector ({http://collector:4317}): each service sends its spans there, under its own service name; empty (and no {OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}): no tracing, at no cost"`
	OTLPTracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" doc:"the collector for traces alone, in place of {OTEL_EXPORTER_OTLP_ENDPOINT}"`
	OTLPProtocol       string `env:"OTEL_EXPORTER_OTLP_PROTOCOL" envDefault:"grpc" doc:"{grpc} or {http/protobuf}"`
}

// Validate checks the protocol.
func (t Tracing) Validate() error {
	switch t.OTLPProtocol {
	case "grpc", "http/protobuf":
		return nil
	}
	return errors.New("OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf")
}

// GRPC is how services authenticate each other's gRPC calls (see "Trust
// between services" in docs/architecture.md).
type GRPC struct {
	Token    Secret `env:"UPSTATE_GRPC_TOKEN" doc:"the shared token every gRPC call between services carries, the same in every service; required by the one-service binaries, generated at start by {bin/upstate} when empty"`
	Insecure bool   `env:"UPSTATE_GRPC_INSECURE" envDefault:"false" doc:"serve and call gRPC without a token; only where nothing else can reach the gRPC ports"`
	TLSCert  string `env:"UPSTATE_GRPC_TLS_CERT" doc:"PEM certificate of this service, for mutual TLS on gRPC (with {UPSTATE_GRPC_TLS_KEY} and {UPSTATE_GRPC_TLS_CA})"`
	TLSKey   string `env:"UPSTATE_GRPC_TLS_KEY" doc:"PEM private key of {UPSTATE_GRPC_TLS_CERT}"`
	TLSCA    string `env:"UPSTATE_GRPC_TLS_CA" doc:"PEM CA bundle that signs every service's certificate: servers require client certificates from it, clients verify servers against it"`
}

// TLS says whether mutual TLS is configured.
func (g GRPC) TLS() bool { return g.TLSCert != "" }

// Validate checks that mutual TLS is configured whole, and that a token
// and UPSTATE_GRPC_INSECURE are not both set.
func (g GRPC) Validate() error {
	var errs []error
	if n := countSet(g.TLSCert, g.TLSKey, g.TLSCA); n != 0 && n != 3 {
		errs = append(errs, errors.New("UPSTATE_GRPC_TLS_CERT, UPSTATE_GRPC_TLS_KEY and UPSTATE_GRPC_TLS_CA go together"))
	}
	if g.Insecure && g.Token != "" {
		errs = append(errs, errors.New("UPSTATE_GRPC_INSECURE=true and UPSTATE_GRPC_TOKEN contradict each other"))
	}
	return errors.Join(errs...)
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

// Validate checks the settings every binary shares.
func (p Process) Validate() error {
	var errs []error
	if p.StreamReplicas < 1 || p.StreamReplicas > 5 {
		errs = append(errs, errors.New("UPSTATE_STREAM_REPLICAS must be between 1 and 5"))
	}
	if p.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("UPSTATE_SHUTDOWN_TIMEOUT must be positive"))
	}
	return errors.Join(append(errs, p.GRPC.Validate(), p.Tracing.Validate())...)
}

// NATSAuth is how a binary authenticates to NATS and checks the server's
// TLS certificate; bin/upstate uses it for a NATS server of its
// UPSTATE_NATS_URL, and gives its services users of their own on the
// server it embeds.
type NATSAuth struct {
	NATSCreds    string `env:"UPSTATE_NATS_CREDS" doc:"a NATS credentials file (user JWT and nkey seed), for a server with accounts"`
	NATSUser     string `env:"UPSTATE_NATS_USER" doc:"the NATS user name, for a server with users and passwords"`
	NATSPassword Secret `env:"UPSTATE_NATS_PASSWORD" doc:"the NATS user's password"`
	NATSTLSCA    string `env:"UPSTATE_NATS_TLS_CA" doc:"PEM file of the CAs the NATS server's certificate must chain to (default: the system's); TLS is used when the server offers it"`
	NATSTLSCert  string `env:"UPSTATE_NATS_TLS_CERT" doc:"client certificate (PEM) for a NATS server that verifies clients"`
	NATSTLSKey   string `env:"UPSTATE_NATS_TLS_KEY" doc:"the client certificate's key (PEM)"`
}

// Validate checks that the settings go together.
func (a NATSAuth) Validate() error {
	var errs []error
	if a.NATSPassword != "" && a.NATSUser == "" {
		errs = append(errs, errors.New("UPSTATE_NATS_PASSWORD needs UPSTATE_NATS_USER"))
	}
	if (a.NATSTLSCert == "") != (a.NATSTLSKey == "") {
		errs = append(errs, errors.New("UPSTATE_NATS_TLS_CERT and UPSTATE_NATS_TLS_KEY go together"))
	}
	return errors.Join(errs...)
}

// Common is what every one-service binary reads: the process settings and
// where Postgres and NATS are. Services embed it in their binary's Config.
type Common struct {
	DatabaseURL Secret `env:"DATABASE_URL" doc:"the Postgres connection URL (not used by the gateway)"`
	NATSURL     string `env:"UPSTATE_NATS_URL" envDefault:"nats://127.0.0.1:4222" doc:"the NATS server (or cluster seeds, comma-separated)"`
	NATSAuth
	Process
}

// Base returns the shared settings of a binary's configuration.
func (c Common) Base() Common { return c }

// Validate checks the shared settings; needDB says whether the process
// uses Postgres. A one-service binary talks gRPC across the network, so
// it refuses to start without a token unless told to run insecure.
func (c Common) Validate(needDB bool) error {
	var errs []error
	if c.GRPC.Token == "" && !c.GRPC.Insecure {
		errs = append(errs, errors.New("UPSTATE_GRPC_TOKEN is required (or UPSTATE_GRPC_INSECURE=true where nothing else reaches the gRPC ports)"))
	}
	if needDB && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("UPSTATE_NATS_URL is required"))
	}
	return errors.Join(append(errs, c.NATSAuth.Validate(), c.Process.Validate())...)
}
