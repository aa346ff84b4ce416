// Package delivery is the delivery queue's worker: it consumes the NOTIFY
// work queue and delivers each notification to its destination, once per
// idempotency key (claimed and recorded in the store), with a circuit
// breaker per destination, retries with exponential backoff and full
// jitter (redelivered with NakWithDelay) that honour Retry-After, for up
// to MaxAge, after which, or at once for a final refusal, the
// notification is dead and copied to the dead-letter stream.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/groupcommit"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/notifypb"
)

// Durable is the workers' consumer on NOTIFY.
const Durable = "notification-deliver"

// Config tunes the workers.
type Config struct {
	// Concurrency is how many deliveries run at once per process
	// (default 64).
	Concurrency int
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// MaxAge is how long a notification is retried before it is dead
	// (default 24h).
	MaxAge time.Duration
	// Backoff is the delay before the attempt after the n-th failure
	// (default full jitter over 5s·2^(n-1), capped at an hour).
	Backoff func(n int) time.Duration
	// BreakerFailures is how many failures in a row open a destination's
	// breaker (default 5).
	BreakerFailures uint32
	// BreakerOpen is how long an open breaker refuses before it lets one
	// attempt through, half-open (default 30s).
	BreakerOpen time.Duration
	// AllowPrivate are the address ranges deliveries may reach although
	// they are loopback, private or link-local (tests, on-premises).
	AllowPrivate []netip.Prefix
}

func (c *Config) setDefaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.Backoff == nil {
		c.Backoff = bus.FullJitter(5*time.Second, time.Hour)
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerOpen <= 0 {
		c.BreakerOpen = 30 * time.Second
	}
}

// Mailer sends email (package mail).
type Mailer interface {
	Send(ctx context.Context, msg mail.Message) error
}

// Worker delivers notifications.
type Worker struct {
	cfg      Config
	store    *channelstore.Store
	mailer   Mailer
	client   *http.Client
	clock    clockwork.Clock
	logger   *slog.Logger
	metrics  *metrics
	breakers *breakers
	channels *channelCache
	// steps gathers concurrent deliveries' claims and records of outcomes
	// into shared round trips.
	steps    *groupcommit.Group[channelstore.Step, channelstore.StepResult]
	consumer *bus.Consumer
}

// New returns a worker; mailer sends email (nil: email deliveries fail).
func New(cfg Config, st *channelstore.Store, mailer Mailer, clock clockwork.Clock, reg prometheus.Registerer, logger *slog.Logger) *Worker {
	cfg.setDefaults()
	return &Worker{
		cfg: cfg, store: st, mailer: mailer, clock: clock, logger: logger,
		client:   newClient(cfg.AllowPrivate, cfg.Concurrency),
		metrics:  newMetrics(reg),
		breakers: newBreakers(cfg.BreakerFailures, cfg.BreakerOpen),
		channels: &channelCache{get: st.GetChannel, clock: clock, m: map[string]cachedChannel{}},
		// One batch at a time: deliveries claiming or finishing meanwhile
		// wait and form the next batch, so that under load a round trip
		// serves dozens of them, claims and records alike (a pool of four
		// connections serves it and the channel reads).
		steps: groupcommit.New(groupcommit.Isolate(st.Sync, func(ctx context.Context, s channelstore.Step) (channelstore.StepResult, error) {
			rs, err := st.Sync(ctx, []channelstore.Step{s})
			if err != nil {
				return channelstore.StepResult{}, err
			}
			return rs[0].Value, rs[0].Err
		}), groupcommit.Options{Concurrency: 1, MaxBatch: 128}),
	}
}

// Start consumes NOTIFY until Stop.
func (w *Worker) Start(ctx context.Context, js jetstream.JetStream) error {
	c, err := bus.Consume(ctx, js, bus.ConsumerConfig{
		Stream: bus.StreamNotify, Durable: Durable,
		Concurrency: w.cfg.Concurrency, Independent: true,
		// An attempt, its claim and its record, with room to spare.
		AckWait: w.cfg.Timeout + 20*time.Second,
		// Deferred notifications wait their retry as pending ones: a far
		// side down for hours must not stop the others.
		MaxAckPending: 100_000,
		MaxDeliver:    bus.DefaultMaxDeliver,
		Unavailable:   pgdb.IsUnavailable,
	}, w.handle, w.logger)
	if err != nil {
		return fmt.Errorf("start delivery: %w", err)
	}
	w.consumer = c
	return nil
}

// Stop lets deliveries in flight finish (until ctx ends) and stops.
func (w *Worker) Stop(ctx context.Context) error {
	if w.consumer == nil {
		return nil
	}
	return w.consumer.Stop(ctx)
}

// lease is how long a claim keeps other workers away: an attempt and its
// record, after which a dead worker's claim lapses.
func (w *Worker) lease() time.Duration { return w.cfg.Timeout + 20*time.Second }

// handle delivers one notification, or says when to try again.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) error {
	var n notificationv1.Notification
	if err := proto.Unmarshal(msg.Data(), &n); err != nil {
		return bus.Permanent(fmt.Errorf("decode notification: %w", err))
	}
	if err := notifypb.Validate(&n); err != nil {
		return bus.Permanent(fmt.Errorf("notification %s: %w", n.GetId(), err))
	}
	dest, row, err := w.destination(ctx, &n, msg.Data())
	if err != nil {
		return err
	}
	now := w.clock.Now()
	res, err := w.steps.Do(ctx, channelstore.Step{Claim: &channelstore.ClaimRequest{N: row, Now: now, LeaseUntil: now.Add(w.lease())}})
	if err != nil {
		return err
	}
	claim := res.Claim
	log := w.logger.With("notification_id", claim.ID, "org_id", n.GetOrgId())
	if !claim.Claimed {
		if claim.Status != channelstore.Pending {
			// A copy of a notification already delivered or given up.
			w.metrics.outcome("duplicate")
			return nil
		}
		w.metrics.outcome("leased")
		return bus.Defer(errors.New("another worker is delivering it"), claim.LeaseUntil.Sub(now)+time.Second)
	}
	// The attempt is made, and signed, now: the claim may have waited for
	// its batch or a busy database, and a receiver refuses a signature
	// timestamp older than its tolerance (Standard Webhooks: 5 minutes).
	now = w.clock.Now()
	if dest.Type == "" {
		return w.finish(ctx, log, claim, channelstore.Dead, &channelstore.Attempt{At: now, Error: "the channel was deleted"}, 0)
	}
	req, err := channel.Render(dest, channel.Message{ID: claim.ID, Content: notifypb.Content(n.GetContent()), CreatedAt: n.GetCreatedAt().AsTime()}, now)
	if err != nil {
		return w.finish(ctx, log, claim, channelstore.Dead, &channelstore.Attempt{At: now, Error: err.Error()}, 0)
	}
	if req.Skip != "" {
		log.Debug("notification not sent", "reason", req.Skip)
		return w.finish(ctx, log, claim, channelstore.Delivered, nil, 0)
	}
	o, latency, err := w.attempt(ctx, dest.Key(), req)
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		// Nothing was sent: no attempt to record, and the breaker says
		// when the far side may be tried again.
		w.metrics.outcome("breaker_open")
		return w.release(ctx, claim, bus.Defer(err, jitter(w.cfg.BreakerOpen)))
	}
	if ctx.Err() != nil {
		// Stopping, or past AckWait: the attempt was cut short, not
		// answered; it is made again on the next delivery.
		return w.release(ctx, claim, ctx.Err())
	}
	a := &channelstore.Attempt{At: now, StatusCode: o.code, Latency: latency, Error: errText(o.err)}
	switch {
	case o.err == nil:
		return w.finish(ctx, log, claim, channelstore.Delivered, a, 0)
	case o.final:
		return w.finish(ctx, log, claim, channelstore.Dead, a, 0)
	}
	delay := max(w.cfg.Backoff(claim.Attempts+1), o.retryAfter)
	if now.Add(delay).After(claim.TriesFrom.Add(w.cfg.MaxAge)) {
		a.Error += fmt.Sprintf(" (given up after %s)", w.cfg.MaxAge)
		return w.finish(ctx, log, claim, channelstore.Dead, a, 0)
	}
	return w.finish(ctx, log, claim, channelstore.Pending, a, delay)
}

// attempt sends req through the destination's breaker, bounded by the
// attempt timeout, and says how long it took.
func (w *Worker) attempt(ctx context.Context, key string, req channel.Request) (outcome, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	start := time.Now()
	o, err := w.breakers.get(key).Execute(func() (outcome, error) {
		var o outcome
		if req.Email != nil {
			o = w.email(actx, req.Email)
		} else {
			o = w.post(actx, req)
		}
		return o, o.breakerFailure()
	})
	latency := time.Since(start)
	if err == nil || o.err != nil {
		w.metrics.latency.Observe(latency.Seconds())
		return o, latency, nil
	}
	return o, latency, err
}

// finish records an attempt's outcome and settles the message: delivered
// or given up (copied to the dead-letter stream), or redelivered after
// delay.
func (w *Worker) finish(ctx context.Context, log *slog.Logger, claim channelstore.Claim, status channelstore.Status, a *channelstore.Attempt, delay time.Duration) error {
	// The outcome of an attempt made is recorded even if the worker is
	// stopping meanwhile.
	if _, err := w.steps.Do(context.WithoutCancel(ctx), channelstore.Step{Finish: &channelstore.FinishRequest{ID: claim.ID, Status: status, Attempt: a, Now: w.clock.Now()}}); err != nil {
		return err
	}
	switch status {
	case channelstore.Delivered:
		w.metrics.outcome("delivered")
		return nil
	case channelstore.Dead:
		w.metrics.outcome("dead")
		// The consumer logs it once, as it dead-letters it.
		return bus.Permanent(fmt.Errorf("notification %s given up after %d attempts: %s", claim.ID, claim.Attempts+1, a.Error))
	}
	w.metrics.outcome("retried")
	log.Info("notification will be retried", "attempts", claim.Attempts+1, "status_code", a.StatusCode, "retry_in", delay, "err", a.Error)
	return bus.Defer(errors.New(a.Error), delay)
}

// release gives the claim back without an outcome and returns err.
func (w *Worker) release(ctx context.Context, claim channelstore.Claim, err error) error {
	if rerr := w.store.Release(context.WithoutCancel(ctx), claim.ID); rerr != nil {
		return rerr
	}
	return err
}

// destination resolves where n (data, as enqueued) goes and the row that
// records it. A channel that no longer exists gives an empty destination:
// the notification is dead.
func (w *Worker) destination(ctx context.Context, n *notificationv1.Notification, data []byte) (channel.Destination, channelstore.Notification, error) {
	c := notifypb.Content(n.GetContent())
	row := channelstore.Notification{
		ID: n.GetId(), OrgID: n.GetOrgId(), Key: n.GetIdempotencyKey(), ChannelID: n.GetChannelId(),
		AlertID: c.AlertID, IncidentID: c.IncidentID, Kind: string(c.Kind), Title: c.Title,
		CreatedAt: n.GetCreatedAt().AsTime().UTC(), Message: data,
	}
	if d, ok := notifypb.Inline(n); ok {
		row.Destination = describe(d)
		return d, row, nil
	}
	ch, err := w.channels.channel(ctx, n.GetOrgId(), n.GetChannelId())
	if errors.Is(err, channel.ErrNotFound) {
		return channel.Destination{}, row, nil
	}
	if err != nil {
		return channel.Destination{}, row, err
	}
	d := ch.Destination()
	row.Destination = describe(d)
	return d, row, nil
}

// describe is a destination as history shows it, credentials masked.
func describe(d channel.Destination) string {
	switch d.Type {
	case channel.Email:
		return "mailto:" + d.Config.To
	case channel.PagerDuty:
		return d.Config.BaseURL
	}
	return channel.MaskURL(d.Config.URL)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// jitter spreads d over [d/2, d) so that deliveries held by one open
// breaker do not all come back at once.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}
