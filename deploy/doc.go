// Package deploy holds no code: its tests check what deploy/ and
// docker-compose.yml describe against the services themselves. Every
// Kustomize overlay is built and every object decoded strictly into its
// Kubernetes (or KEDA) type; each service must have its manifests,
// probes, security context, autoscaler and NetworkPolicy, and read every
// environment variable it is given; the Compose file must run the same
// services with the same variables as Kubernetes; every service and
// command (cmd/<x>) must be built by the Makefile and have a non-root
// Dockerfile target on distroless or scratch (but bin/upstate's
// standalone, which needs Postgres).
//
// It is a module of its own, outside go.work, so that the Kubernetes,
// Kustomize and KEDA modules it needs never raise the versions the
// services build with (scripts/test.sh runs it with GOWORK=off).
package deploy
