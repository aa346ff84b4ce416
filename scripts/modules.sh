# The Go modules of the repository, in dependency order. Sourced by the
# other scripts; go.work lists the same set. tools/ (buf) and deploy/ (the
# manifests' tests, with Kubernetes' modules) are kept out of it and run
# with GOWORK=off.
MODULES=(pkg proto webhook services/status services/incidents services/sla services/alerting services/notification services/statuspage services/edge services/gateway cmd/upstate cmd/upstatectl integration bench)
