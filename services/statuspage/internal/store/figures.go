package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// Figures are a service's daily figures and uptime by window, as the SLA
// service reported them.
type Figures struct {
	Days   []domain.Day
	Uptime map[string]float64
}

// ServicesOnPages returns the services some page shows, with their
// organisation.
func (st *Store) ServicesOnPages(ctx context.Context) (map[string]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT DISTINCT c.service_id, p.org_id FROM statuspage.components c
		JOIN statuspage.pages p ON p.id = c.page_id`)
	if err != nil {
		return nil, fmt.Errorf("list services on pages: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, org string
		if err := rows.Scan(&id, &org); err != nil {
			return nil, err
		}
		out[id] = org
	}
	return out, rows.Err()
}

// SetFigures stores a service's figures; the pages showing it change when
// they differ from those stored.
func (st *Store) SetFigures(ctx context.Context, serviceID string, f Figures, now time.Time) error {
	days, err := json.Marshal(f.Days)
	if err != nil {
		return err
	}
	uptime, err := json.Marshal(f.Uptime)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE statuspage.services SET days = $2, uptime = $3, figures_at = $4
			WHERE service_id = $1 AND (days <> $2::jsonb OR uptime <> $3::jsonb)`, serviceID, days, uptime, utc(now))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = bumpPages(ctx, tx, utc(now), []string{serviceID})
		return err
	})
}

// loadFigures fills the view's daily figures, uptime and status times
// of its components' services.
func loadFigures(ctx context.Context, tx pgx.Tx, v *compat.View) error {
	services := make([]string, 0, len(v.Page.Components))
	for _, c := range v.Page.Components {
		services = append(services, c.ServiceID)
	}
	rows, err := tx.Query(ctx, `SELECT service_id, since, days, uptime FROM statuspage.services WHERE service_id = ANY ($1)`, services)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var since *time.Time
		var days, uptime []byte
		if err := rows.Scan(&id, &since, &days, &uptime); err != nil {
			return err
		}
		if since != nil {
			v.Since[id] = *since
		}
		var f Figures
		if err := json.Unmarshal(days, &f.Days); err != nil {
			return fmt.Errorf("decode days of %s: %w", id, err)
		}
		if err := json.Unmarshal(uptime, &f.Uptime); err != nil {
			return fmt.Errorf("decode uptime of %s: %w", id, err)
		}
		v.Days[id], v.Uptime[id] = f.Days, f.Uptime
	}
	return rows.Err()
}
