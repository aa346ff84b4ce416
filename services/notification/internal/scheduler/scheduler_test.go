package scheduler_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/scheduler"
	"github.com/upstatehq/upstate/services/notification/internal/store"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// logs is a log output tests read while the scheduler writes it.
type logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// As the service's clock passes, the scheduler deletes finished
// escalations after 7 days, and delivered and dead notifications (their
// attempts with them) after the history's retention; an escalation under
// way and a pending notification stay.
func TestRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	hist := channelstore.New(pool)
	for _, n := range []struct {
		id     string
		status channelstore.Status
	}{{"ntf_delivered", channelstore.Delivered}, {"ntf_dead", channelstore.Dead}, {"ntf_pending", channelstore.Pending}} {
		row := channelstore.Notification{ID: n.id, OrgID: "org_a", Key: n.id, Kind: "trigger", Title: "API is down", CreatedAt: t0, Message: []byte{}}
		if _, err := hist.Claim(ctx, row, t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := hist.Finish(ctx, n.id, n.status, &channelstore.Attempt{At: t0, StatusCode: 503, Error: "answered 503"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO notification.escalations (alert_id, org_id, alert_version, resolved, next_at, created_at, updated_at)
		VALUES ('alt_finished', 'org_a', 3, true, NULL, $1, $1), ('alt_open', 'org_a', 1, false, $2, $1, $1)`, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	clock := clockwork.NewFakeClockAt(t0)
	out := &logs{}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := scheduler.New(store.NewEscalations(store.New(pool), notification.Event, false), hist, 30*day, func() {}, clock, logger, time.Second)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	// pruned waits for the prune of the clock's time and says what it
	// deleted.
	pruned := func(want string) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() error {
			if !strings.Contains(out.String(), want) {
				return fmt.Errorf("no %q in the logs:\n%s", want, out.String())
			}
			return nil
		})
	}
	pruned("msg=pruned escalations=0 notifications=0")
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7*day + time.Hour)
	pruned("msg=pruned escalations=1 notifications=0")
	if got := rows(t, pool); got != "escalations alt_open; notifications ntf_dead ntf_delivered ntf_pending; attempts 3" {
		t.Fatalf("after 7 days: %s", got)
	}
	clock.Advance(23 * day)
	pruned("msg=pruned escalations=0 notifications=2")
	if got := rows(t, pool); got != "escalations alt_open; notifications ntf_pending; attempts 1" {
		t.Fatalf("after 30 days: %s", got)
	}
}

// rows says which escalations and notifications are left, and how many
// attempts.
func rows(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var esc, ntf string
	var attempts int
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT coalesce(string_agg(alert_id, ' ' ORDER BY alert_id), '') FROM notification.escalations),
		(SELECT coalesce(string_agg(id, ' ' ORDER BY id), '') FROM notification.notifications),
		(SELECT count(*) FROM notification.attempts)`).Scan(&esc, &ntf, &attempts)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("escalations %s; notifications %s; attempts %d", esc, ntf, attempts)
}
