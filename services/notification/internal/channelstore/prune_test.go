package channelstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

const day = 24 * time.Hour

// The prune deletes the finished notifications last tried before its
// time, whenever they were created, and keeps the others: a pending one
// however old, one retried by hand since, one finished since.
func TestPruneHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := channelstore.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	add := func(id string, created time.Time, status channelstore.Status) {
		t.Helper()
		n := channelstore.Notification{ID: id, OrgID: "org_a", Key: id, Kind: "trigger", Title: "API is down", CreatedAt: created, Message: []byte{}}
		if _, err := st.Claim(ctx, n, created, created.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if status == channelstore.Pending {
			return
		}
		if _, err := st.Finish(ctx, id, status, &channelstore.Attempt{At: created, StatusCode: 200}, created); err != nil {
			t.Fatal(err)
		}
	}
	old, cut := t0.Add(-40*day), t0.Add(-30*day)
	add("ntf_old_delivered", old, channelstore.Delivered)
	add("ntf_old_dead", old, channelstore.Dead)
	add("ntf_old_pending", old, channelstore.Pending)
	add("ntf_revived", old, channelstore.Dead)
	if _, err := st.Revive(ctx, "org_a", "ntf_revived", t0.Add(-day)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish(ctx, "ntf_revived", channelstore.Dead, &channelstore.Attempt{At: t0.Add(-day), StatusCode: 404}, t0.Add(-day)); err != nil {
		t.Fatal(err)
	}
	add("ntf_recent", t0.Add(-day), channelstore.Delivered)

	if n, err := st.PruneHistory(ctx, cut); err != nil || n != 2 {
		t.Fatalf("PruneHistory = %d, %v; want the 2 old finished ones", n, err)
	}
	for id, kept := range map[string]bool{"ntf_old_delivered": false, "ntf_old_dead": false, "ntf_old_pending": true, "ntf_revived": true, "ntf_recent": true} {
		if _, err := st.GetNotification(ctx, "org_a", id); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v (%v)", id, err == nil, kept, err)
		}
	}
}

// With a history as the prune finds it each hour — weeks within the
// retention, a little past it — the planner reads only what is past it
// through notifications_created, not the whole table.
func TestPruneHistoryUsesIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	if _, err := pool.Exec(ctx, `INSERT INTO notification.notifications
		(id, org_id, idempotency_key, kind, title, status, message, created_at, tries_from, delivered_at)
		SELECT 'ntf_' || i, 'org_a', 'key_' || i, 'trigger', 'API is down', 'delivered', '', at, at, at
		FROM generate_series(1, 20200) i, LATERAL (SELECT CASE WHEN i <= 20000 THEN $1::timestamptz - i * interval '2 minutes'
			ELSE $1::timestamptz - interval '31 days' - i * interval '1 second' END AS at) a`, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE notification.notifications`); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `EXPLAIN `+channelstore.PruneHistorySQL, t0.Add(-30*day))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "notifications_created") || strings.Contains(plan, "Seq Scan") {
		t.Fatalf("the prune does not use notifications_created:\n%s", plan)
	}
	t.Logf("plan:\n%s", plan)
}
