package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/engine"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/store"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

// outboxKeys returns the message ids the outbox holds, in order, and
// empties it, as the relay would.
func outboxKeys(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `DELETE FROM notification.outbox RETURNING id, msg_id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID    int64
		MsgID string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b row) int { return int(a.ID - b.ID) })
	var out []string
	for _, r := range got {
		out = append(out, r.MsgID)
	}
	return out
}

// An alert escalates once per step whatever is redelivered: the group
// notification twice, the evaluation repeated; an acknowledgement stops
// it (an older event does not restart it); the resolution goes once to
// each recipient, by channel or, for a user without channels, by email.
func TestEscalationsExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	esc := store.NewEscalations(st, notification.Event, true)
	ch, ops := ids.New(ids.Channel), ids.New(ids.Channel)
	ada := createUser(t, st, "org_a", "Ada", ch)
	grace := createUser(t, st, "org_a", "Grace")
	p := policyOf("org_a", "Default", escalation.Target{UserID: ada.ID})
	p.Spec.Steps = append(p.Spec.Steps,
		escalation.Step{After: time.Minute, Targets: []escalation.Target{{ChannelID: ops}, {UserID: ada.ID}}},
		escalation.Step{After: 5 * time.Minute, Targets: []escalation.Target{{UserID: grace.ID}}})
	if err := st.CreatePolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	alt := ids.New(ids.Alert)
	a := engine.Alert{ID: alt, OrgID: "org_a", PolicyID: p.ID, Version: 2, FiredAt: t0, RuleName: "Checkout down", ServiceName: "Checkout", Severity: "critical"}
	key := func(k string) string { return "org_a:" + alt + "/" + k }

	follow := func(at time.Time, as ...engine.Alert) {
		t.Helper()
		if _, err := esc.Follow(ctx, as, at); err != nil {
			t.Fatal(err)
		}
	}
	escalate := func(at time.Time) {
		t.Helper()
		if _, err := esc.EscalateDue(ctx, at, 100); err != nil {
			t.Fatal(err)
		}
	}
	follow(t0, a, a) // the group notification redelivered in one batch
	escalate(t0)
	escalate(t0)
	if got, want := outboxKeys(t, pool), []string{key("0/0/" + ch)}; !slices.Equal(got, want) {
		t.Fatalf("step 1: %q, want %q", got, want)
	}
	follow(t0.Add(30*time.Second), a) // and again later
	escalate(t0.Add(30 * time.Second))
	escalate(t0.Add(time.Minute))
	if got, want := outboxKeys(t, pool), []string{key("0/1/" + ops), key("0/1/" + ch)}; !slices.Equal(got, want) {
		t.Fatalf("step 2: %q, want %q", got, want)
	}

	acked := a
	acked.PolicyID, acked.Version, acked.Acknowledged = "", 3, true
	follow(t0.Add(2*time.Minute), acked, a) // the older notification after the acknowledgement
	escalate(t0.Add(10 * time.Minute))
	if got := outboxKeys(t, pool); len(got) != 0 {
		t.Fatalf("after the acknowledgement: %q", got)
	}

	resolved := acked
	resolved.Version, resolved.Resolved = 4, true
	follow(t0.Add(11*time.Minute), resolved)
	follow(t0.Add(11*time.Minute), resolved)
	if got, want := outboxKeys(t, pool), []string{key("resolved/" + ch), key("resolved/" + ops)}; !slices.Equal(got, want) {
		t.Fatalf("resolutions: %q, want %q", got, want)
	}

	// Unacknowledged and unresolved, step 3 reaches Grace by email.
	alt2 := ids.New(ids.Alert)
	b := a
	b.ID = alt2
	follow(t0, b)
	escalate(t0.Add(5 * time.Minute))
	got := outboxKeys(t, pool)
	if want := "org_a:" + alt2 + "/0/2/" + grace.ID; !slices.Contains(got, want) || len(got) != 4 {
		t.Fatalf("a late evaluation: %q, want steps 1–3 with %s", got, want)
	}
}

// An acknowledgement goes once to each PagerDuty channel notified of the
// alert, and to nothing else: not to a PagerDuty channel never paged, nor
// to another channel type, nor to a user reached by email; an
// acknowledgement and resolution seen at once owe only the resolutions.
func TestEscalationsAcknowledgePagerDuty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	esc := store.NewEscalations(st, notification.Event, true)
	chans := channelstore.New(pool)
	create := func(typ channel.Type) string {
		t.Helper()
		c := channel.Channel{ID: ids.New(ids.Channel), OrgID: "org_a", Name: ids.New(ids.Channel), Type: typ,
			Config: channel.Config{RoutingKey: "R0123456789abcdef0123456789abcde", BaseURL: channel.DefaultPagerDutyBaseURL}, CreatedAt: t0, UpdatedAt: t0}
		if typ != channel.PagerDuty {
			c.Config = channel.Config{URL: "https://hooks.slack.com/services/T/B/x"}
		}
		if err := chans.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	paged, slack, unpaged := create(channel.PagerDuty), create(channel.Slack), create(channel.PagerDuty)
	grace := createUser(t, st, "org_a", "Grace")
	p := policyOf("org_a", "Default", escalation.Target{ChannelID: paged}, escalation.Target{ChannelID: slack}, escalation.Target{UserID: grace.ID})
	p.Spec.Steps = append(p.Spec.Steps, escalation.Step{After: time.Hour, Targets: []escalation.Target{{ChannelID: unpaged}}})
	if err := st.CreatePolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	follow := func(at time.Time, as ...engine.Alert) {
		t.Helper()
		if _, err := esc.Follow(ctx, as, at); err != nil {
			t.Fatal(err)
		}
	}

	a := engine.Alert{ID: ids.New(ids.Alert), OrgID: "org_a", PolicyID: p.ID, Version: 1, FiredAt: t0, RuleName: "down", Severity: "critical"}
	key := func(k string) string { return "org_a:" + a.ID + "/" + k }
	follow(t0, a)
	if _, err := esc.EscalateDue(ctx, t0, 10); err != nil {
		t.Fatal(err)
	}
	if got := outboxKeys(t, pool); len(got) != 3 {
		t.Fatalf("step 1: %q", got)
	}
	acked := a
	acked.PolicyID, acked.Version, acked.Acknowledged = "", 2, true
	follow(t0.Add(time.Minute), acked, acked)
	follow(t0.Add(2*time.Minute), acked)
	if got, want := outboxKeys(t, pool), []string{key("acknowledged/" + paged)}; !slices.Equal(got, want) {
		t.Fatalf("acknowledgements: %q, want %q", got, want)
	}

	b := a
	b.ID = ids.New(ids.Alert)
	follow(t0, b)
	if _, err := esc.EscalateDue(ctx, t0, 10); err != nil {
		t.Fatal(err)
	}
	outboxKeys(t, pool)
	b.Version, b.Acknowledged, b.Resolved = 2, true, true
	follow(t0.Add(time.Minute), b)
	got := outboxKeys(t, pool)
	for _, k := range got {
		if !strings.Contains(k, "/resolved/") {
			t.Fatalf("an acknowledged and resolved alert owes %q", got)
		}
	}
	if len(got) != 3 {
		t.Fatalf("resolutions %q, want one to each of the 3 notified", got)
	}
}

// Replicas evaluating at once notify a due step once: each takes the
// rows the others have not locked.
func TestEscalationsAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	ch := ids.New(ids.Channel)
	p := policyOf("org_a", "Default", escalation.Target{ChannelID: ch})
	if err := st.CreatePolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	var alerts []engine.Alert
	for range 40 {
		alerts = append(alerts, engine.Alert{ID: ids.New(ids.Alert), OrgID: "org_a", PolicyID: p.ID, Version: 1, FiredAt: t0, RuleName: "down"})
	}
	if _, err := store.NewEscalations(st, notification.Event, false).Follow(ctx, alerts, t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		replica := store.NewEscalations(st, notification.Event, false)
		wg.Go(func() {
			for {
				n, err := replica.EscalateDue(ctx, t0, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	got := outboxKeys(t, pool)
	slices.Sort(got)
	if len(slices.Compact(got)) != len(alerts) || len(got) != len(alerts) {
		t.Fatalf("%d notifications (%d distinct) for %d alerts", len(got), len(slices.Compact(slices.Clone(got))), len(alerts))
	}
}
