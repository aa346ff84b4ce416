// Package config is the one place that reads the process environment. Each
// service declares a typed struct with `env` and `envDefault` tags (defaults
// that work on a laptop) and loads it with Load at start.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

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
		return cfg, byVariable(err, Describe(cfg), vars)
	}
	return cfg, nil
}

// byVariable rewrites the parser's errors, which name Go fields, to name
// the environment variable and the value that was refused.
func byVariable(err error, settings []Setting, vars map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("load configuration: %w", err)
	}
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if s, ok := settingOf(settings, pe.Name); ok {
				errs = append(errs, fmt.Errorf("%s=%q: %v", s.Name, vars[s.Name], cause(pe.Err)))
				continue
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func settingOf(settings []Setting, field string) (Setting, bool) {
	for _, s := range settings {
		if s.field == field {
			return s, true
		}
	}
	return Setting{}, false
}

// cause strips strconv's function prefix: `parsing "x": invalid syntax`
// says less to an operator than "invalid syntax".
func cause(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
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
