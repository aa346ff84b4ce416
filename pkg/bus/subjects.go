package bus

// Streams and their subjects. This file is the one place they are spelled;
// every stream added here also gets a definition in streams.go.
const (
	// StreamStatus holds StatusChanged events, one subject per service.
	StreamStatus = "STATUS"
	// SubjectsStatus is the subject filter StreamStatus captures.
	SubjectsStatus = "upstate.status.>"

	// StreamIngest holds IngestEvents: webhook deliveries accepted by the
	// gateway, one subject per receiver, consumed by the status service.
	StreamIngest = "INGEST"
	// SubjectsIngest is the subject filter StreamIngest captures.
	SubjectsIngest = "upstate.ingest.>"

	// StreamIncidents holds incident and maintenance events, one subject
	// per incident or maintenance window.
	StreamIncidents = "INCIDENTS"
	// SubjectsIncidents is the subject filter StreamIncidents captures.
	SubjectsIncidents = "upstate.incidents.>"

	// StreamSLA holds SLO events (burning, burn stopped, exhausted,
	// recovered), one subject per SLO.
	StreamSLA = "SLA"
	// SubjectsSLA is the subject filter StreamSLA captures.
	SubjectsSLA = "upstate.sla.>"

	// StreamAlerts holds alert events (AlertFiring, AlertResolved,
	// AlertAcknowledged) and the notifications of alert groups
	// (AlertGroupNotify), one subject per alert or group.
	StreamAlerts = "ALERTS"
	// SubjectsAlerts is the subject filter StreamAlerts captures.
	SubjectsAlerts = "upstate.alerts.>"

	// StreamNotify is the work queue of outbound notifications: one
	// Notification per message to one recipient, one subject per
	// notification, consumed by the notification service's workers.
	StreamNotify = "NOTIFY"
	// SubjectsNotify is the subject filter StreamNotify captures.
	SubjectsNotify = "upstate.notify.>"

	// StreamAudit holds AuditRecorded events, one per change made
	// through the API, one subject per audit entry, for export to a SIEM.
	StreamAudit = "AUDIT"
	// SubjectsAudit is the subject filter StreamAudit captures.
	SubjectsAudit = "upstate.audit.>"

	// SubjectReceiverChanged is a core NATS subject (not stored): the status
	// service announces there the id of a receiver that changed or was
	// deleted, so gateways drop it from their caches at once.
	SubjectReceiverChanged = "upstate.receivers.changed"

	// StreamDLQ holds dead letters: copies of messages a consumer gave up
	// on, one subject per consumer (see DLQSubject).
	StreamDLQ = "DLQ"
	// SubjectsDLQ is the subject filter StreamDLQ captures.
	SubjectsDLQ = "upstate.dlq.>"
)

// StatusSubject returns the subject of status events of a service:
// upstate.status.<org>.<service>.
func StatusSubject(orgID, serviceID string) string {
	return "upstate.status." + orgID + "." + serviceID
}

// IncidentsSubject returns the subject of the events of an incident or a
// maintenance window: upstate.incidents.<org>.<id>.
func IncidentsSubject(orgID, id string) string {
	return "upstate.incidents." + orgID + "." + id
}

// SLASubject returns the subject of the events of an SLO:
// upstate.sla.<org>.<slo>.
func SLASubject(orgID, sloID string) string {
	return "upstate.sla." + orgID + "." + sloID
}

// AlertsSubject returns the subject of the events of an alert or an
// alert group: upstate.alerts.<org>.<id>.
func AlertsSubject(orgID, id string) string {
	return "upstate.alerts." + orgID + "." + id
}

// NotifySubject returns the subject of an outbound notification:
// upstate.notify.<org>.<id>.
func NotifySubject(orgID, id string) string {
	return "upstate.notify." + orgID + "." + id
}

// AuditSubject returns the subject of an audit entry:
// upstate.audit.<org>.<aud_…>.
func AuditSubject(orgID, entryID string) string {
	return "upstate.audit." + orgID + "." + entryID
}

// IngestSubject returns the subject of a receiver's deliveries:
// upstate.ingest.<org>.<receiver>.
func IngestSubject(orgID, receiverID string) string {
	return "upstate.ingest." + orgID + "." + receiverID
}

// DLQSubject returns the subject dead letters of a consumer are published
// to: upstate.dlq.<stream>.<consumer>.
func DLQSubject(stream, consumer string) string {
	return "upstate.dlq." + stream + "." + consumer
}

// CloudEvents attributes as NATS headers (binary content mode), and the
// content type of every event body.
const (
	HeaderCEType        = "ce-type"
	HeaderCEID          = "ce-id"
	HeaderCESource      = "ce-source"
	HeaderCETime        = "ce-time"
	HeaderCESpecVersion = "ce-specversion"
	HeaderContentType   = "content-type"

	CESpecVersion       = "1.0"
	ContentTypeProtobuf = "application/protobuf"
)

// Headers added to a dead letter, besides the original message's headers.
const (
	// HeaderError is the last handler error.
	HeaderError = "upstate-error"
	// HeaderOriginalSubject is the subject the message was consumed from.
	HeaderOriginalSubject = "upstate-original-subject"
	// HeaderOriginalSequence is the message's sequence in its stream.
	HeaderOriginalSequence = "upstate-original-sequence"
	// HeaderDeliveries is how many times the message was delivered,
	// including deliveries that failed transiently.
	HeaderDeliveries = "upstate-deliveries"
	// HeaderFailures is how many times the message failed on its own, when
	// it was dead-lettered for failing MaxDeliver times (absent after a
	// Permanent error).
	HeaderFailures = "upstate-failures"
)
