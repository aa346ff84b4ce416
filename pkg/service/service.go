// Package service is the runtime every upstate service runs on, so that a
// service is its domain, store, API and consumers, and none of the
// plumbing. A service is described by a Unit: a name, where its gRPC API
// listens, and a Build function that asks an Infra for what it needs (a
// Postgres pool on its migrated schema, a NATS connection, gRPC clients
// to other services, the clock) and returns the Service.
//
// A Host runs units: it builds each, registers its gRPC services on a
// server of its own, starts it, serves it, mounts its HTTP routes on the
// process's one HTTP listener, reports readiness from the infrastructure
// it opened (gRPC health goes NOT_SERVING when its database or NATS is
// lost, and back), and stops everything in reverse order: HTTP first,
// then per unit gRPC, the service, its NATS connection and its pool.
//
// The same units run in bin/upstate (several on one Host), in each
// bin/<service> (Main, one unit) and in the integration tests, so the
// three cannot drift.
package service

import (
	"context"

	"github.com/labstack/echo/v4"
	"google.golang.org/grpc"
)

// Service is one upstate service, built from its dependencies.
type Service interface {
	// Start brings the service up (streams, consumers, background loops).
	// Its gRPC API is served once Start returns.
	Start(ctx context.Context) error
	// Stop drains it; the host has stopped its gRPC API before.
	Stop(ctx context.Context) error
}

// GRPCService is a Service with a gRPC API.
type GRPCService interface {
	Service
	RegisterGRPC(s *grpc.Server)
}

// HTTPService is a Service with HTTP routes on the process's listener.
type HTTPService interface {
	Service
	RegisterHTTP(e *echo.Echo)
}

// Unit says how to run a service.
type Unit struct {
	// Name names the service in logs, metrics, connections and readiness.
	Name string
	// GRPCAddr is where its gRPC API listens (port 0: any free port);
	// empty for a service without one.
	GRPCAddr string
	// Streams names the streams whose definitions the service keeps
	// current, those it publishes (bus.StreamOptions.Owned); it only
	// creates the others when they are missing.
	Streams []string
	// Build wires the service from what it asks in for. Everything it
	// opens through in is closed when the unit stops.
	Build func(ctx context.Context, in *Infra) (Service, error)
	// RedactPath hides secrets in the request paths of its HTTP routes
	// when they are logged; a host serving several units is given the
	// one of the unit that needs it.
	RedactPath func(string) string
}
