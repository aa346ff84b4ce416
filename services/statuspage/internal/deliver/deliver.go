// Package deliver sends subscribers' webhook deliveries from the
// deliveries table, the simplest durable queue this service can have: a
// row per subscriber and event, claimed for a lease so replicas share the
// work, its body made and kept at the first attempt, signed with the
// subscriber's Standard Webhooks secret, retried with growing, jittered
// delays and given up after MaxAttempts. The notification service is
// where this belongs once it exists (its delivery queue, breaker per
// destination and dead letters); the rows queued here are then what is
// handed to it.
package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/netguard"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/metrics"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/webhook"
)

// Config tunes the deliverer.
type Config struct {
	// PublicURL is the base of the pages' addresses in payloads.
	PublicURL string
	// MaxAttempts is how many times a delivery is tried (default 10).
	MaxAttempts int
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// PollInterval is how often due deliveries are looked for besides
	// being told of new ones (default 1s).
	PollInterval time.Duration
	// AllowPrivate lets deliveries go to loopback and private addresses
	// (a laptop, tests); otherwise they are refused, so that a public
	// subscription cannot make the service call inside its network.
	AllowPrivate bool
}

// Sender sends email (package mail).
type Sender interface {
	Send(ctx context.Context, msg mail.Message) error
}

// Deliverer sends due deliveries.
type Deliverer struct {
	store   *store.Store
	mailer  Sender
	cfg     Config
	client  *http.Client
	clock   clockwork.Clock
	metrics *metrics.Metrics
	logger  *slog.Logger
	kick    chan struct{}
}

// New returns a deliverer; mailer sends to email subscribers (nil: there
// are none, email subscriptions being refused).
func New(st *store.Store, mailer Sender, cfg Config, clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger) *Deliverer {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = netguard.New().Control
	}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 5 * time.Second}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Deliverer{store: st, mailer: mailer, cfg: cfg, client: client, clock: clock, metrics: m, logger: logger, kick: make(chan struct{}, 1)}
}

// Notify tells the deliverer that deliveries were queued.
func (d *Deliverer) Notify() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// lease is how long a claimed delivery is another replica's to leave.
func (d *Deliverer) lease() time.Duration { return d.cfg.Timeout + 30*time.Second }

// Run sends due deliveries until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	for {
		n, err := d.Once(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Warn("send deliveries", "err", err)
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

// Once sends the deliveries due now (up to a batch) and returns how many
// it tried.
func (d *Deliverer) Once(ctx context.Context) (int, error) {
	due, err := d.store.ClaimDeliveries(ctx, d.clock.Now(), d.lease(), 32)
	if err != nil {
		return 0, err
	}
	// A delivery begun is finished (within its timeout) and recorded even
	// when ctx ends (the service stops); those not begun are given back,
	// so that another replica, or this one restarted, sends them at once
	// rather than after the lease.
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

// send makes one attempt and records its outcome; it fails only when the
// outcome cannot be recorded.
func (d *Deliverer) send(ctx context.Context, dl store.Delivery) error {
	var attemptErr error
	if dl.SubscriberKind == domain.KindEmail {
		msg, err := d.email(ctx, dl)
		if errors.Is(err, domain.ErrNotFound) {
			return d.store.Retry(ctx, dl.ID, "the page or the event is gone", d.clock.Now(), nil)
		}
		if err != nil {
			return err
		}
		if d.mailer == nil {
			attemptErr = errors.New("no mail server is configured")
		} else {
			attemptErr = d.mailer.Send(ctx, msg)
		}
	} else {
		body := dl.Body
		if body == nil {
			b, err := d.body(ctx, dl)
			if errors.Is(err, domain.ErrNotFound) {
				return d.store.Retry(ctx, dl.ID, "the page or the event is gone", d.clock.Now(), nil)
			}
			if err != nil {
				return err
			}
			if err := d.store.SetBody(ctx, dl.ID, b); err != nil {
				return err
			}
			body = b
		}
		attemptErr = d.post(ctx, dl, body)
	}
	return d.record(ctx, dl, attemptErr)
}

// record keeps an attempt's outcome: delivered, retried later or given up.
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

// MessageID is the Standard Webhooks id of a delivery, the same on every
// attempt: receivers deduplicate by it.
func MessageID(dl store.Delivery) string {
	return "msg_" + dl.SubscriberID + "_" + strconv.FormatInt(dl.ID, 10)
}

func (d *Deliverer) post(ctx context.Context, dl store.Delivery, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "upstate-statuspage")
	req.Header.Set(webhook.HeaderWebhookID, MessageID(dl))
	sig := webhook.Signature{Secret: dl.Secret, Scheme: webhook.SchemeStandardWebhooks}
	if err := webhook.Sign(sig, req.Header, body, d.clock.Now()); err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	return nil
}

// body makes the Statuspage payload of a delivery from the read model.
func (d *Deliverer) body(ctx context.Context, dl store.Delivery) ([]byte, error) {
	n, err := d.load(ctx, dl)
	if err != nil {
		return nil, err
	}
	return json.Marshal(n.payload)
}

// notice is what a delivery tells, read from the read model.
type notice struct {
	view        compat.View
	unsubscribe string
	payload     any
	// subject and text are its email form.
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

// email is a delivery as an email message.
func (d *Deliverer) email(ctx context.Context, dl store.Delivery) (mail.Message, error) {
	n, err := d.load(ctx, dl)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{
		To: dl.Email, Subject: n.subject, Unsubscribe: n.unsubscribe,
		Body: n.text + "\n\n" + n.view.Page.Name + " status: " + n.view.URL + "\nUnsubscribe: " + n.unsubscribe + "\n",
	}, nil
}

// PageURL is a page's public address: its custom domain over https, or
// the public URL's /status/{slug}.
func PageURL(publicURL string, p domain.Page) string {
	if p.CustomDomain != "" {
		return "https://" + p.CustomDomain
	}
	return publicURL + "/status/" + p.Slug
}
