package ingest

import (
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/webhook"
)

var statusByName = map[string]statusv1.Status{
	webhook.StatusOperational: statusv1.Status_STATUS_OPERATIONAL,
	webhook.StatusDegraded:    statusv1.Status_STATUS_DEGRADED,
	webhook.StatusDown:        statusv1.Status_STATUS_DOWN,
	webhook.StatusMaintenance: statusv1.Status_STATUS_MAINTENANCE,
}

var nameByStatus = map[statusv1.Status]string{
	statusv1.Status_STATUS_OPERATIONAL: webhook.StatusOperational,
	statusv1.Status_STATUS_DEGRADED:    webhook.StatusDegraded,
	statusv1.Status_STATUS_DOWN:        webhook.StatusDown,
	statusv1.Status_STATUS_MAINTENANCE: webhook.StatusMaintenance,
}

var nameByResult = map[statusv1.DeliveryResult]string{
	statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED:   "processed",
	statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED:     "ignored",
	statusv1.DeliveryResult_DELIVERY_RESULT_FAILED:      "failed",
	statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED: "auth_failed",
}

// StatusName is the REST name of a status (operational, degraded, down,
// maintenance), or "" for UNSPECIFIED.
func StatusName(s statusv1.Status) string { return nameByStatus[s] }

// ResultName is the REST name of a delivery result (processed, ignored,
// failed, auth_failed), or "" for UNSPECIFIED.
func ResultName(r statusv1.DeliveryResult) string { return nameByResult[r] }
