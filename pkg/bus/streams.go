package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream retention and de-duplication.
//
// The duplicate window is how long JetStream remembers a Nats-Msg-Id and
// drops a second message carrying it. JetStream's default of two minutes
// covers a client retrying a publish, but not the status outbox: a relay
// that published a batch and then failed to delete it (crash, lost
// database connection) publishes it again when it runs next, which can be
// after a restart or an outage of hours. A day covers that; consumers are
// still idempotent on the event's version for anything older. The server
// keeps every id seen within the window in memory (on the order of 100
// bytes each), which is cheap at the rate services change status.
const (
	statusMaxAge     = 30 * 24 * time.Hour
	statusDuplicates = 24 * time.Hour

	// Deliveries are consumed within seconds; a week covers a long outage
	// of the status service. The gateway de-duplicates sender retries
	// itself (72 h); this window catches its own publish retries.
	ingestMaxAge     = 7 * 24 * time.Hour
	ingestDuplicates = 10 * time.Minute

	// Incident events are kept as long as status events, for the same
	// consumers (status pages, notifications) and the same reasons.
	incidentsMaxAge     = statusMaxAge
	incidentsDuplicates = statusDuplicates

	// SLO events are few and read by alerting and status pages; they are
	// kept as long as status events.
	slaMaxAge     = statusMaxAge
	slaDuplicates = statusDuplicates

	// Alert events are what the notification service pages on; it starts
	// from now (bus.FromNow), so a week covers its outages, and readers
	// keep what they need themselves.
	alertsMaxAge     = 7 * 24 * time.Hour
	alertsDuplicates = statusDuplicates

	// Outbound notifications are retried for up to 24 hours before they
	// are dead-lettered; three days leave room for an outage of the
	// notification service on top. A producer's idempotency key is the
	// message id, and a day covers its retries (the service also records
	// the keys it delivered, for ever).
	notifyMaxAge     = 3 * 24 * time.Hour
	notifyDuplicates = 24 * time.Hour

	// Audit entries are kept in the edge's database for good; the stream
	// is how a SIEM collects them, and a month covers its outages.
	auditMaxAge     = statusMaxAge
	auditDuplicates = statusDuplicates

	// Dead letters carry an id derived from the consumer and the original
	// stream sequence, so a message dead-lettered twice (its Term was lost
	// and it came back) is stored once; redelivery takes at most AckWait.
	dlqMaxAge     = 14 * 24 * time.Hour
	dlqDuplicates = time.Hour
)

// StreamOptions are the deployment-dependent parts of stream definitions.
//
// Durability of each write is a server setting, not a stream one: with
// `jetstream { sync_interval: always }` in the nats-server configuration
// (natsd.Config.SyncAlways when embedded) a publish is acknowledged only
// after its write is fsynced. Without it the server fsyncs every two
// minutes, and a single node losing power can lose acknowledged messages;
// with three replicas a message is acknowledged once a quorum has it, which
// protects against losing one node. Production should use replicas, and
// sync_interval: always where a node-wide power loss is a real risk; it
// costs throughput (about 3k messages a second on small disks), so publish
// concurrently (PublishOrdered) rather than one message at a time.
type StreamOptions struct {
	// Replicas is the number of copies of each stream: 1 locally, 3 in a
	// cluster (default 1).
	Replicas int
	// Owned names the streams whose definitions the caller keeps current:
	// it creates them or updates them to the current definition. The
	// others it only creates when they are missing, as a service may start
	// before the owner of a stream it reads; their owner updates them.
	// FailuresBucketStream names the consumers' FailuresBucket. Nil: all
	// of them, for an administrator or a test.
	Owned []string
}

// FailuresBucketStream is the stream that holds FailuresBucket, as named
// in StreamOptions.Owned.
const FailuresBucketStream = "KV_" + FailuresBucket

// EnsureStreams creates the streams and the consumers' FailuresBucket, and
// updates those the caller owns to the current definition. It is
// idempotent, so every service calls it at start. A service may update
// only the definitions of the streams it owns (the NATS permissions of
// bin/upstate's services say the same): one cannot, say, shorten the
// retention of another's events.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, opts StreamOptions) error {
	for _, cfg := range streamConfigs(opts) {
		if err := ensure(ctx, js, opts, cfg.Name, func() error {
			_, err := js.CreateOrUpdateStream(ctx, cfg)
			return err
		}, func() error {
			_, err := js.CreateStream(ctx, cfg)
			return err
		}); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	kv := failuresConfig(opts.replicas())
	if err := ensure(ctx, js, opts, FailuresBucketStream, func() error {
		_, err := js.CreateOrUpdateKeyValue(ctx, kv)
		return err
	}, func() error {
		_, err := js.CreateKeyValue(ctx, kv)
		return err
	}); err != nil {
		return fmt.Errorf("ensure key-value bucket %s: %w", FailuresBucket, err)
	}
	return nil
}

// ensure runs update for a stream the caller owns, and otherwise create
// if the stream is missing.
func ensure(ctx context.Context, js jetstream.JetStream, opts StreamOptions, stream string, update, create func() error) error {
	return RetryUnavailable(ctx, func(context.Context) error { return ensureOnce(ctx, js, opts, stream, update, create) })
}

func ensureOnce(ctx context.Context, js jetstream.JetStream, opts StreamOptions, stream string, update, create func() error) error {
	if opts.Owned == nil || slices.Contains(opts.Owned, stream) {
		return update()
	}
	_, err := js.Stream(ctx, stream)
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	err = create()
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) || errors.Is(err, jetstream.ErrBucketExists) {
		// Its owner, or another service, created it meanwhile.
		return nil
	}
	return err
}

func (opts StreamOptions) replicas() int {
	if opts.Replicas <= 0 {
		return 1
	}
	return opts.Replicas
}

// streamConfigs returns the definition of every stream.
func streamConfigs(opts StreamOptions) []jetstream.StreamConfig {
	replicas := opts.replicas()
	return []jetstream.StreamConfig{
		{
			Name:        StreamStatus,
			Description: "Status changes of services (StatusChanged events).",
			Subjects:    []string{SubjectsStatus},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      statusMaxAge,
			Duplicates:  statusDuplicates,
		},
		{
			Name:        StreamIngest,
			Description: "Webhook deliveries accepted by the gateway (IngestEvent).",
			Subjects:    []string{SubjectsIngest},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      ingestMaxAge,
			Duplicates:  ingestDuplicates,
		},
		{
			Name:        StreamIncidents,
			Description: "Incidents and maintenance windows (IncidentOpened/Updated/Resolved, MaintenanceStarted/Ended).",
			Subjects:    []string{SubjectsIncidents},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      incidentsMaxAge,
			Duplicates:  incidentsDuplicates,
		},
		{
			Name:        StreamSLA,
			Description: "SLO events (SLOBurning, SLOBurnStopped, SLOExhausted, SLORecovered).",
			Subjects:    []string{SubjectsSLA},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      slaMaxAge,
			Duplicates:  slaDuplicates,
		},
		{
			Name:        StreamAlerts,
			Description: "Alerts and alert group notifications (AlertFiring/Resolved/Acknowledged, AlertGroupNotify).",
			Subjects:    []string{SubjectsAlerts},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      alertsMaxAge,
			Duplicates:  alertsDuplicates,
		},
		{
			Name:        StreamNotify,
			Description: "Outbound notifications to deliver (Notification), a work queue: each is removed once delivered or dead-lettered.",
			Subjects:    []string{SubjectsNotify},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      notifyMaxAge,
			Duplicates:  notifyDuplicates,
		},
		{
			Name:        StreamAudit,
			Description: "Audit entries: every change made through the API (AuditRecorded).",
			Subjects:    []string{SubjectsAudit},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      auditMaxAge,
			Duplicates:  auditDuplicates,
		},
		{
			Name:        StreamDLQ,
			Description: "Dead letters: messages consumers gave up on, per consumer.",
			Subjects:    []string{SubjectsDLQ},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      dlqMaxAge,
			Duplicates:  dlqDuplicates,
		},
	}
}
