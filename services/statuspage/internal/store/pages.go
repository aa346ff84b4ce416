package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// Prefixes of the status page service's ids.
const (
	PagePrefix       = "pag"
	ComponentPrefix  = "cmp"
	SubscriberPrefix = "sub"
)

// KnownServices returns which of the organisation's services the read
// model knows (not deleted), with their names.
func (st *Store) KnownServices(ctx context.Context, orgID string, serviceIDs []string) (map[string]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT service_id, name FROM statuspage.services
		WHERE org_id = $1 AND service_id = ANY ($2) AND NOT deleted`, orgID, serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// SeedService records a service the read model has no event of yet, as
// the status service reports it; an event already applied wins.
func (st *Store) SeedService(ctx context.Context, s domain.ServiceState, since time.Time) error {
	_, err := st.pool.Exec(ctx, `INSERT INTO statuspage.services AS s
		(service_id, org_id, name, description, status, status_description, since, version)
		VALUES ($1, $2, $3, '', $4, $5, $6, $7)
		ON CONFLICT (service_id) DO UPDATE SET name = $3, status = $4, status_description = $5, since = $6, version = $7
		WHERE s.version < $7`, s.ServiceID, s.OrgID, s.Name, string(s.Status), s.Description, utc(since), s.Version)
	if err != nil {
		return fmt.Errorf("seed service %s: %w", s.ServiceID, err)
	}
	return nil
}

// CreatePage stores a new page with its components, giving them ids.
func (st *Store) CreatePage(ctx context.Context, p domain.Page) (domain.Page, error) {
	p.ID = ids.New(PagePrefix)
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO statuspage.pages (id, org_id, name, slug, time_zone, custom_domain, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7, $7)`,
			p.ID, p.OrgID, p.Name, p.Slug, p.TimeZone, p.CustomDomain, utc(p.CreatedAt)); err != nil {
			return uniqueViolation(err)
		}
		return replaceComponents(ctx, tx, p.ID, p.Components, p.CreatedAt)
	})
	if err != nil {
		return domain.Page{}, fmt.Errorf("create page: %w", err)
	}
	return st.GetPage(ctx, p.OrgID, p.ID)
}

// replaceComponents makes the page's components those given, keeping the
// id of a component whose service stays on the page.
func replaceComponents(ctx context.Context, tx pgx.Tx, pageID string, comps []domain.Component, now time.Time) error {
	services := make([]string, 0, len(comps))
	for _, c := range comps {
		services = append(services, c.ServiceID)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM statuspage.components WHERE page_id = $1 AND NOT service_id = ANY ($2)`, pageID, services); err != nil {
		return err
	}
	for _, c := range comps {
		if _, err := tx.Exec(ctx, `INSERT INTO statuspage.components AS c
			(id, page_id, service_id, name, description, group_name, position, only_show_if_degraded, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (page_id, service_id) DO UPDATE SET name = $4, description = $5, group_name = $6,
				position = $7, only_show_if_degraded = $8`,
			ids.New(ComponentPrefix), pageID, c.ServiceID, c.Name, c.Description, c.Group, c.Position, c.OnlyShowIfDegraded, utc(now)); err != nil {
			return err
		}
	}
	return nil
}

// PageChange is what UpdatePage changes: the fields that are set.
type PageChange struct {
	Name, Slug, TimeZone, CustomDomain *string
	// Components, when not nil, replace the page's.
	Components *[]domain.Component
}

// UpdatePage applies change to the page after check has normalised and
// accepted the page as it would be.
func (st *Store) UpdatePage(ctx context.Context, orgID, id string, change PageChange, now time.Time, check func(*domain.Page) error) (domain.Page, error) {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		p, err := getPage(ctx, tx, orgID, id, true)
		if err != nil {
			return err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&p.Name, change.Name)
		set(&p.Slug, change.Slug)
		set(&p.TimeZone, change.TimeZone)
		set(&p.CustomDomain, change.CustomDomain)
		if change.Components != nil {
			p.Components = *change.Components
		}
		if err := check(&p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE statuspage.pages SET name = $2, slug = $3, time_zone = $4, custom_domain = NULLIF($5, ''),
			updated_at = greatest(updated_at, $6), revision = revision + 1 WHERE id = $1`,
			id, p.Name, p.Slug, p.TimeZone, p.CustomDomain, utc(now)); err != nil {
			return uniqueViolation(err)
		}
		if change.Components != nil {
			return replaceComponents(ctx, tx, id, p.Components, now)
		}
		return nil
	})
	if err != nil {
		return domain.Page{}, fmt.Errorf("update page %s: %w", id, err)
	}
	return st.GetPage(ctx, orgID, id)
}

// DeletePage removes the page, its components, subscribers and their
// deliveries.
func (st *Store) DeletePage(ctx context.Context, orgID, id string) error {
	tag, err := st.pool.Exec(ctx, `DELETE FROM statuspage.pages WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return fmt.Errorf("delete page %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// GetPage returns the organisation's page with its components.
func (st *Store) GetPage(ctx context.Context, orgID, id string) (domain.Page, error) {
	p, err := getPage(ctx, st.pool, orgID, id, false)
	if err != nil {
		return domain.Page{}, fmt.Errorf("get page %s: %w", id, err)
	}
	return p, nil
}

const pageColumns = `id, org_id, name, slug, time_zone, coalesce(custom_domain, ''), created_at, updated_at`

func scanPage(row pgx.Row) (domain.Page, error) {
	var p domain.Page
	err := row.Scan(&p.ID, &p.OrgID, &p.Name, &p.Slug, &p.TimeZone, &p.CustomDomain, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

func getPage(ctx context.Context, q querier, orgID, id string, lock bool) (domain.Page, error) {
	sql := `SELECT ` + pageColumns + ` FROM statuspage.pages WHERE org_id = $1 AND id = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	p, err := scanPage(q.QueryRow(ctx, sql, orgID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Page{}, domain.ErrNotFound
	}
	if err != nil {
		return domain.Page{}, err
	}
	p.Components, err = components(ctx, q, p.ID)
	return p, err
}

// components are the page's components in position order, with the
// services' names and statuses.
func components(ctx context.Context, q querier, pageID string) ([]domain.Component, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.service_id, coalesce(nullif(c.name, ''), s.name, ''), c.description, c.group_name,
			c.position, c.only_show_if_degraded, coalesce(s.status, 'operational')
		FROM statuspage.components c LEFT JOIN statuspage.services s USING (service_id)
		WHERE c.page_id = $1 ORDER BY c.position, c.id`, pageID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Component, error) {
		var c domain.Component
		var status string
		err := r.Scan(&c.ID, &c.ServiceID, &c.Name, &c.Description, &c.Group, &c.Position, &c.OnlyShowIfDegraded, &status)
		c.Status = domain.Status(status)
		return c, err
	})
}

// ListPages returns up to limit of the organisation's pages after the
// id after, in creation order.
func (st *Store) ListPages(ctx context.Context, orgID, after string, limit int) ([]domain.Page, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+pageColumns+` FROM statuspage.pages
		WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	pages, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Page, error) { return scanPage(r) })
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	for i := range pages {
		if pages[i].Components, err = components(ctx, st.pool, pages[i].ID); err != nil {
			return nil, fmt.Errorf("list pages: %w", err)
		}
	}
	return pages, nil
}

// PageRef is what a public request looks up first: the page and the
// revision its cached renderings are keyed by.
type PageRef struct {
	ID       string
	Revision int64
}

// PageBySlug returns the page with the slug.
func (st *Store) PageBySlug(ctx context.Context, slug string) (PageRef, error) {
	var r PageRef
	err := st.pool.QueryRow(ctx, `SELECT id, revision FROM statuspage.pages WHERE slug = $1`, slug).Scan(&r.ID, &r.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return PageRef{}, domain.ErrNotFound
	}
	if err != nil {
		return PageRef{}, fmt.Errorf("look up page %s: %w", slug, err)
	}
	return r, nil
}

// CustomDomains returns the slug of each page with a custom domain, by domain.
func (st *Store) CustomDomains(ctx context.Context) (map[string]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT custom_domain, slug FROM statuspage.pages WHERE custom_domain IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("load custom domains: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var d, slug string
		if err := rows.Scan(&d, &slug); err != nil {
			return nil, err
		}
		out[d] = slug
	}
	return out, rows.Err()
}
