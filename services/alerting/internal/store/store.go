// Package store keeps the alerting service's state in its Postgres schema
// and runs the domain's evaluations over it: rules (and a per-replica
// index of each organisation's, refreshed when their generation moves),
// the services' timelines, alerts and their history, notification groups,
// silences, dependencies and the event outbox. It translates Postgres
// errors into domain errors.
package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// Announcer builds the events of the alerting service, written to the
// outbox in the transaction of the change they announce.
type Announcer interface {
	// AlertFiring, AlertResolved and AlertAcknowledged announce an
	// alert's change; a carries its silences and inhibitions.
	AlertFiring(a domain.Alert) (bus.Event, error)
	AlertResolved(a domain.Alert) (bus.Event, error)
	AlertAcknowledged(a domain.Alert) (bus.Event, error)
	// GroupNotify asks for the notification n of group g.
	GroupNotify(g GroupInfo, n domain.Notification, at time.Time) (bus.Event, error)
}

// GroupInfo is a notification group with what its notifications tell of
// its rule.
type GroupInfo struct {
	domain.Group
	RuleName           string
	Severity           domain.Severity
	EscalationPolicyID string
	Timing             domain.Timing
}

// Store is the alerting service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
	ann  Announcer
	// Outbox holds the events of committed changes until the relay
	// publishes them.
	Outbox *outbox.Outbox
	// NewID names new alerts and groups (ids.New by default; tests
	// replace it).
	NewID func(prefix string) string

	mu    sync.Mutex
	rules map[string]*orgRules
}

// New returns a store over pool announcing changes with ann.
func New(pool *pgxpool.Pool, ann Announcer, newID func(prefix string) string) *Store {
	return &Store{pool: pool, ann: ann, Outbox: outbox.New(pool, "alerting.outbox"), NewID: newID, rules: map[string]*orgRules{}}
}

// orgRules is an organisation's rules at a generation, indexed.
type orgRules struct {
	generation int64
	index      *domain.Index
	byID       map[string]*domain.Rule
}

// rulesOf returns the organisation's rules as tx sees them, from the
// cache when their generation has not moved.
func (st *Store) rulesOf(ctx context.Context, tx pgx.Tx, orgID string) (*orgRules, error) {
	var gen int64
	err := tx.QueryRow(ctx, `SELECT generation FROM alerting.org_rules WHERE org_id = $1`, orgID).Scan(&gen)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	st.mu.Lock()
	cached := st.rules[orgID]
	st.mu.Unlock()
	if cached != nil && cached.generation == gen {
		return cached, nil
	}
	rules, err := listRules(ctx, tx, orgID, "", 0)
	if err != nil {
		return nil, err
	}
	or := &orgRules{generation: gen, index: domain.NewIndex(rules), byID: make(map[string]*domain.Rule, len(rules))}
	for i := range rules {
		or.byID[rules[i].ID] = &rules[i]
	}
	st.mu.Lock()
	st.rules[orgID] = or
	st.mu.Unlock()
	return or, nil
}

// bumpRules moves the organisation's rule generation, in the transaction
// that changes its rules.
func bumpRules(ctx context.Context, tx pgx.Tx, orgID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO alerting.org_rules (org_id, generation) VALUES ($1, nextval('alerting.rule_generations'))
		ON CONFLICT (org_id) DO UPDATE SET generation = EXCLUDED.generation`, orgID)
	return err
}

// nullTime is t for a nullable column: NULL when zero.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// timeOf is a nullable column's time: zero for NULL.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nonNil is m for a jsonb column: an object, never null.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// stringsOf is s for a text[] column: never NULL.
func stringsOf(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
