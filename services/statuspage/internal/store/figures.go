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

// Figures are a service's daily figures by time zone and uptime by
// window, as the SLA service reported them.
type Figures struct {
	Days   map[string][]domain.Day
	Uptime map[string]float64
}

// Shown is a service some page shows: its organisation and the time zones
// of those pages.
type Shown struct {
	OrgID string
	Zones []string
}

// Zone is the name days of a page in time zone tz are kept under.
func Zone(tz string) string {
	if tz == "" {
		return "UTC"
	}
	return tz
}

// ServicesOnPages returns the services some page shows.
func (st *Store) ServicesOnPages(ctx context.Context) (map[string]Shown, error) {
	rows, err := st.pool.Query(ctx, `SELECT c.service_id, min(p.org_id), array_agg(DISTINCT CASE WHEN p.time_zone = '' THEN 'UTC' ELSE p.time_zone END)
		FROM statuspage.components c JOIN statuspage.pages p ON p.id = c.page_id GROUP BY c.service_id`)
	if err != nil {
		return nil, fmt.Errorf("list services on pages: %w", err)
	}
	out := map[string]Shown{}
	for rows.Next() {
		var id string
		var s Shown
		if err := rows.Scan(&id, &s.OrgID, &s.Zones); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, rows.Err()
}

// SetFigures stores a service's figures; the pages showing it get a new
// revision when they differ from those stored.
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
		return revisePages(ctx, tx, serviceID)
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
		v.Days[id], v.Uptime[id] = f.Days[Zone(v.Page.TimeZone)], f.Uptime
	}
	return rows.Err()
}
