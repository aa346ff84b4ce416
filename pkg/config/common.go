package config

import (
	"errors"
	"time"
)

// Common is the configuration every service process shares. Services embed
// it in their own Config.
type Common struct {
	// DatabaseURL is the Postgres connection string.
	DatabaseURL Secret `env:"DATABASE_URL"`
	// NATSURL is the NATS server (or cluster seed) to connect to.
	NATSURL string `env:"UPSTATE_NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"UPSTATE_LOG_LEVEL" envDefault:"info"`
	// LogFormat is json, text or auto (text on a terminal).
	LogFormat string `env:"UPSTATE_LOG_FORMAT" envDefault:"auto"`
	// StreamReplicas is the replica count of the JetStream streams (3 in a cluster).
	StreamReplicas int `env:"UPSTATE_STREAM_REPLICAS" envDefault:"1"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM.
	ShutdownTimeout time.Duration `env:"UPSTATE_SHUTDOWN_TIMEOUT" envDefault:"25s"`
}

// Validate checks the shared settings; needDB says whether the process
// uses Postgres.
func (c Common) Validate(needDB bool) error {
	var errs []error
	if needDB && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		errs = append(errs, errors.New("UPSTATE_STREAM_REPLICAS must be between 1 and 5"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("UPSTATE_SHUTDOWN_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}
