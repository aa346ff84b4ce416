package store

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// mutes reads what holds the organisation's alerts on the given services
// at now: its active silences, its dependencies, its services that are
// down with firing alerts, and the tags of the given services.
func mutes(ctx context.Context, tx pgx.Tx, orgID string, serviceIDs []string, now time.Time) (domain.Mutes, error) {
	m := domain.Mutes{DependsOn: map[string][]string{}, Down: map[string]bool{}, Firing: map[string][]string{}, Tags: map[string]map[string]string{}}
	var err error
	if m.Silences, err = silences(ctx, tx, `org_id = $1 AND starts_at <= $2 AND ends_at > $2`, orgID, now); err != nil {
		return m, err
	}
	rows, err := tx.Query(ctx, `SELECT service_id, depends_on FROM alerting.dependencies WHERE org_id = $1`, orgID)
	if err != nil {
		return m, err
	}
	var id string
	var deps []string
	if _, err := pgx.ForEachRow(rows, []any{&id, &deps}, func() error { m.DependsOn[id] = slices.Clone(deps); return nil }); err != nil {
		return m, err
	}
	if len(m.DependsOn) > 0 {
		rows, err = tx.Query(ctx, `SELECT a.service_id, a.id FROM alerting.alerts a JOIN alerting.services s ON s.id = a.service_id
			WHERE a.org_id = $1 AND a.state = 'firing' AND s.status = 'down'`, orgID)
		if err != nil {
			return m, err
		}
		var svc, alert string
		if _, err := pgx.ForEachRow(rows, []any{&svc, &alert}, func() error {
			m.Down[svc] = true
			m.Firing[svc] = append(m.Firing[svc], alert)
			return nil
		}); err != nil {
			return m, err
		}
	}
	rows, err = tx.Query(ctx, `SELECT id, tags FROM alerting.services WHERE id = ANY($1)`, stringsOf(serviceIDs))
	if err != nil {
		return m, err
	}
	var tags map[string]string
	_, err = pgx.ForEachRow(rows, []any{&id, &tags}, func() error { m.Tags[id], tags = tags, nil; return nil })
	return m, err
}

// applyMutes fills in the alerts' silences and inhibitions as of now;
// resolved alerts are held by nothing.
func applyMutes(ctx context.Context, tx pgx.Tx, orgID string, alerts []*domain.Alert, now time.Time) error {
	svcs := make([]string, 0, len(alerts))
	for _, a := range alerts {
		svcs = append(svcs, a.ServiceID)
	}
	m, err := mutes(ctx, tx, orgID, svcs, now)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		if a.Open() {
			m.Apply(a)
		} else {
			a.SilencedBy, a.InhibitedBy = []string{}, []string{}
		}
	}
	return nil
}
