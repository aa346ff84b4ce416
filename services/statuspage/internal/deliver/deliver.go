// Package deliver hands subscribers' deliveries to the notification
// service's delivery queue. The deliveries table is written with the
// change that owes them (a row per subscriber and event); a deliverer
// claims due rows for a lease, so replicas share the work, makes each
// one's message from the read model — the Statuspage-compatible payload of
// a webhook subscriber (made at the first attempt and kept), the subject
// and text of an email subscriber — and enqueues it as a Notification with
// an inline destination. The notification service then delivers it: the
// Standard Webhooks signature with the subscriber's secret, retries,
// breaker, SSRF guard, SMTP, dead letters and the history are its. A
// hand-off that fails (NATS away) is tried again with growing, jittered
// delays; the notification's key, the delivery's, keeps a repeated
// hand-off from being delivered twice.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/metrics"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
)

// Config tunes the deliverer.
type Config struct {
	// PublicURL is the base of the pages' addresses in payloads.
	PublicURL string
	// MaxAttempts is how many times a hand-off is tried (default 10).
	MaxAttempts int
	// PollInterval is how often due deliveries are looked for besides
	// being told of new ones (default 1s).
	PollInterval time.Duration
}

// Enqueuer puts a notification on the delivery queue (the notification
// service's Enqueue).
type Enqueuer func(context.Context, *notificationv1.Notification) error

// Source names the status page as a notification's producer.
const Source = "statuspage"

// Deliverer hands due deliveries to the delivery queue.
type Deliverer struct {
	store   *store.Store
	enqueue Enqueuer
	cfg     Config
	clock   clockwork.Clock
	metrics *metrics.Metrics
	logger  *slog.Logger
	kick    chan struct{}
}

// New returns a deliverer enqueuing with enqueue.
func New(st *store.Store, enqueue Enqueuer, cfg Config, clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger) *Deliverer {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	return &Deliverer{store: st, enqueue: enqueue, cfg: cfg, clock: clock, metrics: m, logger: logger, kick: make(chan struct{}, 1)}
}

// Notify tells the deliverer that deliveries were queued.
func (d *Deliverer) Notify() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// lease is how long a claimed delivery is another replica's to leave.
const lease = 30 * time.Second

// Run hands due deliveries over until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	for {
		n, err := d.Once(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Warn("hand subscriber deliveries over", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-d.clock.After(d.cfg.PollInterval):
		}
	}
}

// Once hands the deliveries due now (up to a batch) over and returns how
// many it tried.
func (d *Deliverer) Once(ctx context.Context) (int, error) {
	due, err := d.store.ClaimDeliveries(ctx, d.clock.Now(), lease, 32)
	if err != nil {
		return 0, err
	}
	// A hand-off begun is finished and recorded even when ctx ends (the
	// service stops); those not begun are given back, so that another
	// replica, or this one restarted, takes them at once rather than
	// after the lease.
	finish := context.WithoutCancel(ctx)
	for i, dl := range due {
		if ctx.Err() != nil {
			ids := make([]int64, 0, len(due)-i)
			for _, rest := range due[i:] {
				ids = append(ids, rest.ID)
			}
			return i, d.store.Release(finish, ids, d.clock.Now())
		}
		if err := d.send(finish, dl); err != nil {
			return len(due), err
		}
	}
	return len(due), nil
}

// send hands one delivery over and records the outcome; it fails only
// when the outcome cannot be recorded.
func (d *Deliverer) send(ctx context.Context, dl store.Delivery) error {
	n, err := d.load(ctx, dl)
	if errors.Is(err, domain.ErrNotFound) {
		return d.store.Retry(ctx, dl.ID, "the page or the event is gone", d.clock.Now(), nil)
	}
	if err != nil {
		return err
	}
	msg := &notificationv1.Notification{
		OrgId: n.view.Page.OrgID, IdempotencyKey: MessageID(dl), Source: Source, CreatedAt: timestamppb.New(d.clock.Now()),
		Content: &notificationv1.Content{Kind: notificationv1.Kind_KIND_INFO, Title: clip(n.subject, 250), Text: clip(n.text, 4000), Url: n.view.URL},
	}
	if dl.SubscriberKind == domain.KindEmail {
		msg.Destination = &notificationv1.Notification_Email{Email: &notificationv1.EmailDestination{Address: dl.Email, Unsubscribe: n.unsubscribe}}
	} else {
		body := dl.Body
		if body == nil {
			if body, err = json.Marshal(n.payload); err != nil {
				return err
			}
			if err := d.store.SetBody(ctx, dl.ID, body); err != nil {
				return err
			}
		}
		msg.Destination = &notificationv1.Notification_Webhook{Webhook: &notificationv1.WebhookDestination{Url: dl.URL, Secret: dl.Secret, Body: body}}
	}
	return d.record(ctx, dl, d.enqueue(ctx, msg))
}

// clip cuts s to at most n characters, as the queue accepts.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// record keeps a hand-off's outcome: handed over, retried later or given
// up.
func (d *Deliverer) record(ctx context.Context, dl store.Delivery, attemptErr error) error {
	now := d.clock.Now()
	if attemptErr == nil {
		d.metrics.Delivery("delivered")
		return d.store.Delivered(ctx, dl.ID, now)
	}
	if dl.Attempts >= d.cfg.MaxAttempts {
		d.metrics.Delivery("failed")
		d.logger.Warn("subscriber delivery given up", "subscriber_id", dl.SubscriberID, "delivery", dl.ID, "err", attemptErr)
		return d.store.Retry(ctx, dl.ID, attemptErr.Error(), now, nil)
	}
	d.metrics.Delivery("retried")
	next := now.Add(Backoff(dl.Attempts - 1))
	return d.store.Retry(ctx, dl.ID, attemptErr.Error(), now, &next)
}

// Backoff is the delay after the failure of attempt n+1: jitter over an
// exponential ceiling from 2s, capped at an hour.
func Backoff(n int) time.Duration {
	ceiling := 2 * time.Second << min(n, 11)
	ceiling = min(ceiling, time.Hour)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// MessageID is a delivery's idempotency key on the delivery queue, the
// same on every hand-off.
func MessageID(dl store.Delivery) string {
	return "msg_" + dl.SubscriberID + "_" + strconv.FormatInt(dl.ID, 10)
}

// notice is what a delivery tells, read from the read model.
type notice struct {
	view        compat.View
	unsubscribe string
	payload     any
	// subject and text are its email form, and the notification's title
	// and text.
	subject, text string
}

func (d *Deliverer) load(ctx context.Context, dl store.Delivery) (notice, error) {
	v, err := d.store.View(ctx, dl.PageID, d.clock.Now())
	if err != nil {
		return notice{}, err
	}
	v.URL = PageURL(d.cfg.PublicURL, v.Page)
	n := notice{view: v, unsubscribe: v.URL + "/unsubscribe/" + dl.UnsubscribeToken}
	switch dl.Kind {
	case "component":
		p, err := d.store.Post(ctx, dl.Ref, dl.RefVersion)
		if err != nil {
			return n, err
		}
		c, ok := v.Page.ComponentOf(dl.Ref)
		if !ok {
			return n, domain.ErrNotFound
		}
		n.payload = v.ComponentChange(c, p, n.unsubscribe)
		n.subject = v.Page.Name + ": " + c.Name + " is " + strings.ToLower(p.Status.Label())
		n.text = p.Post(c.Name)
	case "incident":
		inc, err := d.store.Incident(ctx, dl.Ref)
		if err != nil {
			return n, err
		}
		n.payload = v.IncidentChange(inc, n.unsubscribe)
		n.subject = v.Page.Name + ": " + inc.Title + " (" + inc.Status + ")"
		n.text = updatesText(inc.Title, inc.Updates)
	case "maintenance":
		w, err := d.store.Window(ctx, dl.Ref)
		if err != nil {
			return n, err
		}
		n.payload = v.MaintenanceChange(w, n.unsubscribe)
		n.subject = v.Page.Name + ": maintenance " + strings.ReplaceAll(w.Status, "_", " ") + ": " + w.Title
		n.text = updatesText(w.Title, w.Updates()) + "\nScheduled from " + w.StartsAt.UTC().Format(time.RFC1123) + " to " + w.EndsAt.UTC().Format(time.RFC1123) + "."
	default:
		return n, domain.ErrNotFound
	}
	return n, nil
}

func updatesText(title string, ups []domain.IncidentUpdate) string {
	var b strings.Builder
	b.WriteString(title + "\n")
	for i := len(ups) - 1; i >= 0; i-- {
		u := ups[i]
		b.WriteString("\n" + u.At.UTC().Format(time.RFC1123) + " — " + strings.ReplaceAll(u.Status, "_", " "))
		if u.Message != "" {
			b.WriteString(": " + u.Message)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PageURL is a page's public address: its custom domain over https, or
// the public URL's /status/{slug}.
func PageURL(publicURL string, p domain.Page) string {
	if p.CustomDomain != "" {
		return "https://" + p.CustomDomain
	}
	return publicURL + "/status/" + p.Slug
}
