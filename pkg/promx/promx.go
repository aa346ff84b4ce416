// Package promx holds what every service does with Prometheus collectors.
package promx

import "github.com/prometheus/client_golang/prometheus"

// Register registers c on reg and returns it, or returns the collector
// already registered under the same description: services that run in
// one process (bin/upstate) share one registry, and so their collectors.
// A nil reg registers nothing.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
