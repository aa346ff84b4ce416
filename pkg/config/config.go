// Package config is the one place that reads the process environment. Each
// service declares a typed struct with `env` and `envDefault` tags (defaults
// that work on a laptop) and loads it with Load at start.
package config

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/caarlos0/env/v11"
)

// Load fills a T from the environment, applying envDefault tags.
func Load[T any]() (T, error) {
	return LoadFrom[T](os.Environ())
}

// LoadFrom fills a T from KEY=VALUE pairs instead of the process environment,
// so tests can load a configuration without touching os.Setenv.
func LoadFrom[T any](environ []string) (T, error) {
	var cfg T
	vars := env.ToMap(environ)
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, fmt.Errorf("load configuration: %w", err)
	}
	return cfg, nil
}

// Secret is a configuration value that must never be printed: it formats
// and logs as "*****".
type Secret string

// String masks the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "*****"
}

// LogValue masks the value in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret itself, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// MarshalJSON masks the value when a configuration is logged as JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
