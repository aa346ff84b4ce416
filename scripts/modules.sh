# The Go modules of the repository, in dependency order. Sourced by the
# other scripts; go.work lists the same set (plus tools/, kept out of it).
MODULES=(pkg proto webhook services/status services/incidents services/sla services/alerting services/notification services/statuspage services/edge services/gateway cmd/upstate cmd/upstatectl integration bench)
