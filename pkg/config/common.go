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
	return errors.Join(errs...)
}

// Common is what every one-service binary reads: the process settings and
// where Postgres and NATS are. Services embed it in their binary's Config.
type Common struct {
	DatabaseURL Secret `env:"DATABASE_URL" doc:"the Postgres connection URL (not used by the gateway)"`
	NATSURL     string `env:"UPSTATE_NATS_URL" envDefault:"nats://127.0.0.1:4222" doc:"the NATS server (or cluster seeds, comma-separated)"`
	Process
}

// Base returns the shared settings of a binary's configuration.
func (c Common) Base() Common { return c }

// Validate checks the shared settings; needDB says whether the process
// uses Postgres.
func (c Common) Validate(needDB bool) error {
	var errs []error
	if needDB && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("UPSTATE_NATS_URL is required"))
	}
	return errors.Join(append(errs, c.Process.Validate())...)
}
