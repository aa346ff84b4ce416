// Package integration tests upstate end to end: REST through the edge, gRPC
// to the status service, Postgres, and the events on JetStream, with every
// part real: a throwaway Postgres server and an embedded NATS server from
// pkg/testenv, services started in-process or as their own binaries.
package integration
