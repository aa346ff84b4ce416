package standalone

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/service"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	edge "github.com/upstatehq/upstate/services/edge/app"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	notification "github.com/upstatehq/upstate/services/notification/app"
	sla "github.com/upstatehq/upstate/services/sla/app"
	status "github.com/upstatehq/upstate/services/status/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

// The durable consumers and the key-value bucket the services create,
// spelled here because their packages are internal to each service. A
// name that drifts from the service's shows up as the integration tests
// failing on a permission error.
const (
	statusDurable     = "status-ingest"               // the status service's consumer on INGEST
	incidentsDurable  = "incidents-status"            // the incidents service's consumer on STATUS
	slaDurable        = "sla-status"                  // the SLA service's consumer on STATUS
	idempotencyBucket = "upstate_webhook_idempotency" // the gateway's bucket of idempotency keys
)

// The alerting service exports its durables' names.
const (
	alertingStatusDurable    = alerting.StatusDurable    // on STATUS
	alertingIncidentsDurable = alerting.IncidentsDurable // on INCIDENTS
	alertingSLODurable       = alerting.SLODurable       // on SLA
)

// publicStreams are the streams a reader may read: the events upstate
// publishes for other teams, and the audit log for a SIEM. INGEST (raw
// webhook deliveries of every organisation) and DLQ are internal.
var publicStreams = []string{bus.StreamStatus, bus.StreamIncidents, bus.StreamSLA, bus.StreamAlerts, bus.StreamAudit}

// serviceDurables are the durable consumers of the services on the public
// streams, by stream, which a reader must not touch.
var serviceDurables = map[string][]string{
	bus.StreamStatus:    {incidentsDurable, slaDurable, alertingStatusDurable, statuspage.StatusDurable},
	bus.StreamIncidents: {alertingIncidentsDurable, statuspage.IncidentsDurable, notification.IncidentsDurable},
	bus.StreamSLA:       {alertingSLODurable},
	bus.StreamAlerts:    {notification.AlertsDurable},
}

// NATSUser is the name a service connects to the embedded server as.
func NATSUser(unit string) string { return "upstate-" + unit }

// NATSUsers returns the users of an embedded NATS server for the services
// Start runs, each with a fresh random password and allowed only what its
// service uses, and how each service connects (service.Env.NATSUsers).
// With a readerName it adds the reader (see Reader).
func NATSUsers(readerName, readerPassword string) ([]natsd.User, map[string]bus.Auth, error) {
	perms := servicePermissions()
	users := make([]natsd.User, 0, len(perms)+1)
	auths := make(map[string]bus.Auth, len(perms))
	for unit, perm := range perms {
		password, err := randomPassword()
		if err != nil {
			return nil, nil, err
		}
		u := perm(unit)
		u.Name, u.Password = NATSUser(unit), password
		users = append(users, u)
		auths[unit] = bus.Auth{User: u.Name, Password: password}
	}
	if readerName != "" {
		for _, u := range users {
			if u.Name == readerName {
				return nil, nil, fmt.Errorf("the reader's NATS user must not be named %s, a service's user", readerName)
			}
		}
		users = append(users, Reader(readerName, readerPassword))
	}
	return users, auths, nil
}

// servicePermissions returns, by unit, what each service's user may do.
func servicePermissions() map[string]func(unit string) natsd.User {
	return map[string]func(unit string) natsd.User{
		status.Name:       statusUser,
		incidents.Name:    incidentsUser,
		sla.Name:          slaUser,
		alerting.Name:     alertingUser,
		statuspage.Name:   statuspageUser,
		notification.Name: notificationUser,
		edge.Name:         edgeUser,
		gateway.Name:      gatewayUser,
	}
}

// randomPassword returns 192 random bits, base64url-encoded.
func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate nats password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// jsAPI is the JetStream API subject of an operation: $JS.API.<op>.
func jsAPI(op string) string { return "$JS.API." + op }

// ensureStreams is what every service with a NATS connection publishes to
// at start (service.Infra.NATS): creating and looking up upstate's streams
// and the bucket of consumers' failure counts, and updating those it owns
// (service.Unit.Streams) and no other.
func ensureStreams(owned ...string) []string {
	var subjects []string
	for _, s := range []string{bus.StreamStatus, bus.StreamIngest, bus.StreamIncidents, bus.StreamSLA, bus.StreamAlerts, bus.StreamNotify, bus.StreamAudit, bus.StreamDLQ, bus.FailuresBucketStream} {
		subjects = append(subjects, jsAPI("STREAM.CREATE."+s), jsAPI("STREAM.INFO."+s))
	}
	for _, s := range owned {
		subjects = append(subjects, jsAPI("STREAM.UPDATE."+s))
	}
	return append(subjects, jsAPI("INFO")) // the account's limits, looked up before creating a bucket
}

// streamAdmin creates, updates and looks up the stream.
func streamAdmin(stream string) []string {
	return []string{jsAPI("STREAM.CREATE." + stream), jsAPI("STREAM.UPDATE." + stream), jsAPI("STREAM.INFO." + stream)}
}

// durableConsumer is what a service's durable pull consumer publishes to:
// creating or updating it (bus.Consume), looking it up, pulling and
// acknowledging its messages, dead-lettering them, and handing it over to
// another replica when it stops (a pinned consumer, bus.ConsumerConfig); and, for its lag
// on /metrics (bus.LagCollector), getting the stream's oldest message it
// has not acknowledged, from a stream it reads whole anyway.
func durableConsumer(stream, durable string) []string {
	return append([]string{
		jsAPI("CONSUMER.CREATE." + stream + "." + durable),
		jsAPI("CONSUMER.CREATE." + stream + "." + durable + ".>"),
		jsAPI("CONSUMER.DURABLE.CREATE." + stream + "." + durable),
		jsAPI("CONSUMER.INFO." + stream + "." + durable),
		jsAPI("CONSUMER.MSG.NEXT." + stream + "." + durable),
		jsAPI("CONSUMER.UNPIN." + stream + "." + durable),
		"$JS.ACK." + stream + "." + durable + ".>",
		bus.DLQSubject(stream, durable),
		jsAPI("STREAM.MSG.GET." + stream),
	}, bucketData(bus.FailuresBucket)...) // a message's own failures
}

// bucketData reads and writes the keys of a key-value bucket.
func bucketData(bucket string) []string {
	kv := "KV_" + bucket
	return []string{"$KV." + bucket + ".>", jsAPI("DIRECT.GET." + kv + ".>"), jsAPI("STREAM.MSG.GET." + kv)}
}

// inbox is where a service's replies arrive (service.InboxPrefix).
func inbox(unit string) []string { return []string{service.InboxPrefix(unit) + ".>"} }

// statusUser publishes status events, receiver changes and the outcomes
// the gateway waits for, and consumes INGEST.
func statusUser(unit string) natsd.User {
	pub := append(ensureStreams(status.Streams...), bus.SubjectsStatus, bus.SubjectReceiverChanged, service.InboxPrefix(gateway.Name)+".>")
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: append(pub, durableConsumer(bus.StreamIngest, statusDurable)...)},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// incidentsUser publishes incident events and consumes STATUS.
func incidentsUser(unit string) natsd.User {
	pub := append(ensureStreams(incidents.Streams...), bus.SubjectsIncidents)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: append(pub, durableConsumer(bus.StreamStatus, incidentsDurable)...)},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// slaUser publishes SLO events and consumes STATUS.
func slaUser(unit string) natsd.User {
	pub := append(ensureStreams(sla.Streams...), bus.SubjectsSLA)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: append(pub, durableConsumer(bus.StreamStatus, slaDurable)...)},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// alertingUser publishes alert events and consumes STATUS, the
// maintenance windows of INCIDENTS and the SLO events of SLA, each with
// its own durable.
func alertingUser(unit string) natsd.User {
	pub := append(ensureStreams(alerting.Streams...), bus.SubjectsAlerts)
	pub = append(pub, durableConsumer(bus.StreamStatus, alertingStatusDurable)...)
	pub = append(pub, durableConsumer(bus.StreamIncidents, alertingIncidentsDurable)...)
	pub = append(pub, durableConsumer(bus.StreamSLA, alertingSLODurable)...)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: pub},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// statuspageUser enqueues its subscribers' notifications on NOTIFY and
// consumes STATUS and INCIDENTS into its read model.
func statuspageUser(unit string) natsd.User {
	pub := append(ensureStreams(statuspage.Streams...), bus.SubjectsNotify)
	pub = append(pub, durableConsumer(bus.StreamStatus, statuspage.StatusDurable)...)
	pub = append(pub, durableConsumer(bus.StreamIncidents, statuspage.IncidentsDurable)...)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: pub},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// edgeUser publishes the audit log's events (and keeps the AUDIT stream
// it owns) and subscribes to the STATUS and INCIDENTS subjects (core
// NATS, no consumer), whose events the console's open pages hear of.
func edgeUser(unit string) natsd.User {
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: append(ensureStreams(edge.Streams...), bus.SubjectsAudit)},
		Subscribe: &natsd.Subjects{Allow: append(inbox(unit), bus.SubjectsStatus, bus.SubjectsIncidents)},
	}
}

// notificationUser enqueues notifications (escalations, routes, channel
// tests, retries by hand), consumes NOTIFY with the delivery workers,
// ALERTS with the escalation engine and INCIDENTS with the routes.
func notificationUser(unit string) natsd.User {
	pub := append(ensureStreams(notification.Streams...), bus.SubjectsNotify)
	pub = append(pub, durableConsumer(bus.StreamNotify, notification.DeliveryDurable)...)
	pub = append(pub, durableConsumer(bus.StreamAlerts, notification.AlertsDurable)...)
	pub = append(pub, durableConsumer(bus.StreamIncidents, notification.IncidentsDurable)...)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: pub},
		Subscribe: &natsd.Subjects{Allow: inbox(unit)},
	}
}

// gatewayUser publishes deliveries to INGEST, keeps idempotency keys in
// its bucket and listens for receiver changes.
func gatewayUser(unit string) natsd.User {
	pub := append(ensureStreams(gateway.Streams...), bus.SubjectsIngest)
	pub = append(pub, streamAdmin("KV_"+idempotencyBucket)...)
	pub = append(pub, bucketData(idempotencyBucket)...)
	return natsd.User{
		Publish:   &natsd.Subjects{Allow: pub},
		Subscribe: &natsd.Subjects{Allow: append(inbox(unit), bus.SubjectReceiverChanged)},
	}
}

// Reader is a user who may read the public streams (STATUS, INCIDENTS,
// SLA, ALERTS, AUDIT) and nothing else: look them up, create, read, acknowledge
// and delete consumers on them, ephemeral or durable, push or pull (as
// `nats sub`, `nats consumer` and ordered consumers do), and subscribe to
// their subjects and to its replies under _INBOX. It cannot publish to any
// upstate subject, read INGEST or DLQ, change a stream, or touch the
// services' own consumers.
func Reader(name, password string) natsd.User {
	pub := []string{jsAPI("INFO"), jsAPI("STREAM.NAMES")}
	sub := []string{"_INBOX.>"}
	var deny []string
	for _, s := range publicStreams {
		pub = append(pub,
			jsAPI("STREAM.INFO."+s),
			jsAPI("STREAM.MSG.GET."+s),
			jsAPI("DIRECT.GET."+s),
			jsAPI("DIRECT.GET."+s+".>"),
			jsAPI("CONSUMER.CREATE."+s),
			jsAPI("CONSUMER.CREATE."+s+".>"),
			jsAPI("CONSUMER.DURABLE.CREATE."+s+".*"),
			jsAPI("CONSUMER.INFO."+s+".*"),
			jsAPI("CONSUMER.DELETE."+s+".*"),
			jsAPI("CONSUMER.MSG.NEXT."+s+".*"),
			jsAPI("CONSUMER.NAMES."+s),
			jsAPI("CONSUMER.LIST."+s),
			"$JS.ACK."+s+".>",
			"$JS.FC."+s+".>",
		)
		for _, d := range serviceDurables[s] {
			deny = append(deny,
				jsAPI("CONSUMER.CREATE."+s+"."+d),
				jsAPI("CONSUMER.CREATE."+s+"."+d+".>"),
				jsAPI("CONSUMER.DURABLE.CREATE."+s+"."+d),
				jsAPI("CONSUMER.DELETE."+s+"."+d),
				jsAPI("CONSUMER.MSG.NEXT."+s+"."+d),
				"$JS.ACK."+s+"."+d+".>",
			)
		}
	}
	sub = append(sub, bus.SubjectsStatus, bus.SubjectsIncidents, bus.SubjectsSLA, bus.SubjectsAlerts, bus.SubjectsAudit)
	return natsd.User{
		Name: name, Password: password,
		Publish:   &natsd.Subjects{Allow: pub, Deny: deny},
		Subscribe: &natsd.Subjects{Allow: sub},
	}
}
