package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// How much history a view holds.
const (
	MaxPosts   = 500
	MaxRecords = 100
)

// View reads everything the page shows, in one transaction: the page and
// its components, their services' posts since since (newest first, up
// to MaxPosts), the incidents and windows of those services (newest
// first, up to MaxRecords each) and their daily figures. The URL is the
// caller's to set.
func (st *Store) View(ctx context.Context, pageID string, since time.Time) (compat.View, error) {
	var v compat.View
	err := pgdb.Snapshot(ctx, st.pool, func(tx pgx.Tx) error {
		p, err := scanPage(tx.QueryRow(ctx, `SELECT `+pageColumns+` FROM statuspage.pages WHERE id = $1`, pageID))
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		if p.Components, err = components(ctx, tx, pageID); err != nil {
			return err
		}
		v = compat.View{Page: p, Since: map[string]time.Time{}, Days: map[string][]domain.Day{}, Uptime: map[string]map[string]float64{}}
		if err := loadFigures(ctx, tx, &v); err != nil {
			return err
		}
		services := make([]string, 0, len(p.Components))
		for _, c := range p.Components {
			services = append(services, c.ServiceID)
		}
		if v.Posts, err = posts(ctx, tx, services, since); err != nil {
			return err
		}
		if v.Incidents, err = incidents(ctx, tx, services); err != nil {
			return err
		}
		v.Windows, err = windows(ctx, tx, services)
		return err
	})
	if err != nil {
		return compat.View{}, fmt.Errorf("load page %s: %w", pageID, err)
	}
	return v, nil
}

func posts(ctx context.Context, tx pgx.Tx, services []string, since time.Time) ([]domain.Post, error) {
	rows, err := tx.Query(ctx, `SELECT service_id, version, at, service_name, previous, status, description
		FROM statuspage.posts WHERE service_id = ANY ($1) AND at >= $2 ORDER BY at DESC, version DESC LIMIT $3`,
		services, since, MaxPosts)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Post, error) {
		var p domain.Post
		var prev, status string
		err := r.Scan(&p.ServiceID, &p.Version, &p.At, &p.ServiceName, &prev, &status, &p.Description)
		p.Previous, p.Status = domain.Status(prev), domain.Status(status)
		return p, err
	})
}

// Post returns one post.
func (st *Store) Post(ctx context.Context, serviceID string, version int64) (domain.Post, error) {
	var p domain.Post
	var prev, status string
	err := st.pool.QueryRow(ctx, `SELECT service_id, version, at, service_name, previous, status, description
		FROM statuspage.posts WHERE service_id = $1 AND version = $2`, serviceID, version).
		Scan(&p.ServiceID, &p.Version, &p.At, &p.ServiceName, &prev, &status, &p.Description)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.ErrNotFound
	}
	p.Previous, p.Status = domain.Status(prev), domain.Status(status)
	return p, err
}

const incidentColumns = `id, org_id, title, status, severity, service_ids, created_at, updated_at, resolved_at, updates, version`

func scanIncident(r pgx.Row) (domain.Incident, error) {
	var i domain.Incident
	var updates []byte
	err := r.Scan(&i.ID, &i.OrgID, &i.Title, &i.Status, &i.Severity, &i.ServiceIDs, &i.CreatedAt, &i.UpdatedAt, &i.ResolvedAt, &updates, &i.Version)
	if err == nil {
		err = json.Unmarshal(updates, &i.Updates)
	}
	return i, err
}

func incidents(ctx context.Context, tx pgx.Tx, services []string) ([]domain.Incident, error) {
	rows, err := tx.Query(ctx, `SELECT `+incidentColumns+` FROM statuspage.incidents
		WHERE service_ids && $1 ORDER BY created_at DESC, id DESC LIMIT $2`, services, MaxRecords)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Incident, error) { return scanIncident(r) })
}

// Incident returns one incident.
func (st *Store) Incident(ctx context.Context, id string) (domain.Incident, error) {
	i, err := scanIncident(st.pool.QueryRow(ctx, `SELECT `+incidentColumns+` FROM statuspage.incidents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return i, domain.ErrNotFound
	}
	return i, err
}

const windowColumns = `id, org_id, title, message, service_ids, starts_at, ends_at, status, started_at, ended_at, created_at, updated_at, version`

func scanWindow(r pgx.Row) (domain.Window, error) {
	var w domain.Window
	err := r.Scan(&w.ID, &w.OrgID, &w.Title, &w.Message, &w.ServiceIDs, &w.StartsAt, &w.EndsAt, &w.Status,
		&w.StartedAt, &w.EndedAt, &w.CreatedAt, &w.UpdatedAt, &w.Version)
	return w, err
}

func windows(ctx context.Context, tx pgx.Tx, services []string) ([]domain.Window, error) {
	rows, err := tx.Query(ctx, `SELECT `+windowColumns+` FROM statuspage.windows
		WHERE service_ids && $1 ORDER BY starts_at DESC, id DESC LIMIT $2`, services, MaxRecords)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Window, error) { return scanWindow(r) })
}

// Window returns one maintenance window.
func (st *Store) Window(ctx context.Context, id string) (domain.Window, error) {
	w, err := scanWindow(st.pool.QueryRow(ctx, `SELECT `+windowColumns+` FROM statuspage.windows WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, domain.ErrNotFound
	}
	return w, err
}
