package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// ApplyResult is what applying a batch of events did.
type ApplyResult struct {
	// Applied and Stale count the events that changed the read model and
	// those already known (duplicates, overtaken).
	Applied, Stale int
	// Deliveries is the number of subscriber deliveries queued.
	Deliveries int64
	// Services are those whose daily figures changed with the batch.
	Services []string
}

// ApplyServices applies events of STATUS in one transaction, each
// idempotently and whatever their order: the service's current state
// follows its newest version; every status change adds a post, once; a
// new post queues a delivery for each confirmed subscriber of a page
// showing the service who wants its component. Services are locked in id
// order, and pages last (see pageBumps), so that concurrent batches do
// not deadlock.
func (st *Store) ApplyServices(ctx context.Context, now time.Time, events ...domain.ServiceEvent) (ApplyResult, error) {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b domain.ServiceEvent) int {
		return cmp.Or(cmp.Compare(a.ServiceID, b.ServiceID), cmp.Compare(a.Version, b.Version))
	})
	now = utc(now)
	var res ApplyResult
	// Retried whole if Postgres still picks it as a deadlock victim.
	err := pgdb.Retry(ctx, func() error {
		return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			res = ApplyResult{}
			var pages pageBumps
			for _, ev := range sorted {
				if err := applyService(ctx, tx, now, ev, &res, &pages); err != nil {
					return fmt.Errorf("service %s version %d: %w", ev.ServiceID, ev.Version, err)
				}
			}
			return pages.bump(ctx, tx, now)
		})
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply status events: %w", err)
	}
	return res, nil
}

func applyService(ctx context.Context, tx pgx.Tx, now time.Time, ev domain.ServiceEvent, res *ApplyResult, pages *pageBumps) error {
	var version int64
	err := tx.QueryRow(ctx, `INSERT INTO statuspage.services AS s (service_id, org_id) VALUES ($1, $2)
		ON CONFLICT (service_id) DO UPDATE SET org_id = s.org_id RETURNING version`, ev.ServiceID, ev.OrgID).Scan(&version)
	if err != nil {
		return err
	}
	newer := ev.Version > version
	posted := false
	if ev.Post != nil {
		p := ev.Post
		tag, err := tx.Exec(ctx, `INSERT INTO statuspage.posts (service_id, version, at, service_name, previous, status, description)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			ev.ServiceID, ev.Version, utc(p.At), p.ServiceName, string(p.Previous), string(p.Status), p.Description)
		if err != nil {
			return err
		}
		posted = tag.RowsAffected() == 1
	}
	if !newer && !posted {
		res.Stale++
		return nil
	}
	res.Applied++
	if newer {
		if _, err := tx.Exec(ctx, `UPDATE statuspage.services SET version = $2,
			name = CASE WHEN $3 THEN $4 ELSE name END,
			description = CASE WHEN $3 THEN $5 ELSE description END,
			status = CASE WHEN $6 THEN $7 ELSE status END,
			status_description = CASE WHEN $6 THEN $8 ELSE status_description END,
			since = CASE WHEN $6 THEN $9 ELSE since END,
			deleted = deleted OR $10
			WHERE service_id = $1`, ev.ServiceID, ev.Version, ev.Named, ev.Name, ev.Description,
			ev.HasStatus, string(ev.Status), ev.StatusDescription, utc(ev.At), ev.Deleted); err != nil {
			return err
		}
		if ev.HasStatus {
			res.Services = append(res.Services, ev.ServiceID)
		}
	}
	if ev.Deleted && newer {
		// The pages it leaves change too.
		rows, err := tx.Query(ctx, `DELETE FROM statuspage.components WHERE service_id = $1 RETURNING page_id`, ev.ServiceID)
		if err != nil {
			return err
		}
		left, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		pages.pages = append(pages.pages, left...)
	} else {
		pages.services = append(pages.services, ev.ServiceID)
	}
	if posted {
		tag, err := tx.Exec(ctx, `INSERT INTO statuspage.deliveries (subscriber_id, event_key, kind, ref, ref_version, next_at, created_at)
			SELECT s.id, 'component:' || $1 || ':' || $2::bigint, 'component', $1, $2, $3, $3
			FROM statuspage.subscribers s JOIN statuspage.components c ON c.page_id = s.page_id AND c.service_id = $1
			WHERE s.confirmed_at IS NOT NULL AND (cardinality(s.component_ids) = 0 OR c.id = ANY (s.component_ids))
			ON CONFLICT DO NOTHING`, ev.ServiceID, ev.Version, now)
		if err != nil {
			return err
		}
		res.Deliveries += tag.RowsAffected()
	}
	return nil
}

// ApplyIncidents applies incident and window events in one transaction:
// a record is kept as its newest version says; a newer version of an
// incident, or a window's scheduling, start or end, queues a delivery for
// each confirmed subscriber of a page showing one of its services who
// wants one of their components.
//
// Incidents, then windows, are locked in id order, and pages last (see
// pageBumps), so that concurrent batches do not deadlock.
func (st *Store) ApplyIncidents(ctx context.Context, now time.Time, incidents []domain.IncidentEvent, windows []domain.WindowEvent) (ApplyResult, error) {
	now = utc(now)
	incidents = slices.Clone(incidents)
	// By id only: a record's own events keep their order (a version
	// arriving after a newer one is stale).
	slices.SortStableFunc(incidents, func(a, b domain.IncidentEvent) int { return cmp.Compare(a.Incident.ID, b.Incident.ID) })
	windows = slices.Clone(windows)
	slices.SortStableFunc(windows, func(a, b domain.WindowEvent) int { return cmp.Compare(a.Window.ID, b.Window.ID) })
	var res ApplyResult
	// Retried whole if Postgres still picks it as a deadlock victim.
	err := pgdb.Retry(ctx, func() error {
		return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			res = ApplyResult{}
			var pages pageBumps
			for _, ev := range incidents {
				if err := applyIncident(ctx, tx, now, ev.Incident, &res, &pages); err != nil {
					return fmt.Errorf("incident %s version %d: %w", ev.Incident.ID, ev.Incident.Version, err)
				}
			}
			for _, ev := range windows {
				if err := applyWindow(ctx, tx, now, ev, &res, &pages); err != nil {
					return fmt.Errorf("maintenance %s version %d: %w", ev.Window.ID, ev.Window.Version, err)
				}
			}
			return pages.bump(ctx, tx, now)
		})
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply incident events: %w", err)
	}
	return res, nil
}

// previousServices returns the services a record had, to update the pages
// it leaves too, and whether the record is newer than the stored one.
func previousServices(ctx context.Context, tx pgx.Tx, table, id string, version int64) ([]string, bool, error) {
	var old []string
	var stored int64
	err := tx.QueryRow(ctx, `SELECT service_ids, version FROM statuspage.`+table+` WHERE id = $1 FOR UPDATE`, id).Scan(&old, &stored)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, true, nil
	case err != nil:
		return nil, false, err
	}
	return old, version > stored, nil
}

func applyIncident(ctx context.Context, tx pgx.Tx, now time.Time, inc domain.Incident, res *ApplyResult, pages *pageBumps) error {
	old, newer, err := previousServices(ctx, tx, "incidents", inc.ID, inc.Version)
	if err != nil {
		return err
	}
	if !newer {
		res.Stale++
		return nil
	}
	res.Applied++
	updates, err := json.Marshal(inc.Updates)
	if err != nil {
		return err
	}
	var resolved *time.Time
	if inc.ResolvedAt != nil {
		t := utc(*inc.ResolvedAt)
		resolved = &t
	}
	if _, err := tx.Exec(ctx, `INSERT INTO statuspage.incidents
		(id, org_id, title, status, severity, service_ids, created_at, updated_at, resolved_at, updates, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET title = $3, status = $4, severity = $5, service_ids = $6,
			updated_at = $8, resolved_at = $9, updates = $10, version = $11`,
		inc.ID, inc.OrgID, inc.Title, inc.Status, inc.Severity, nonNil(inc.ServiceIDs), utc(inc.CreatedAt), utc(inc.UpdatedAt),
		resolved, updates, inc.Version); err != nil {
		return err
	}
	pages.services = append(pages.services, old...)
	pages.services = append(pages.services, inc.ServiceIDs...)
	return queue(ctx, tx, now, "incident", inc.ID, inc.Version, inc.ServiceIDs, res)
}

func applyWindow(ctx context.Context, tx pgx.Tx, now time.Time, ev domain.WindowEvent, res *ApplyResult, pages *pageBumps) error {
	w := ev.Window
	old, newer, err := previousServices(ctx, tx, "windows", w.ID, w.Version)
	if err != nil {
		return err
	}
	if !newer {
		res.Stale++
		return nil
	}
	res.Applied++
	if _, err := tx.Exec(ctx, `INSERT INTO statuspage.windows
		(id, org_id, title, message, service_ids, starts_at, ends_at, status, started_at, ended_at, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET title = $3, message = $4, service_ids = $5, starts_at = $6, ends_at = $7,
			status = $8, started_at = $9, ended_at = $10, updated_at = $12, version = $13`,
		w.ID, w.OrgID, w.Title, w.Message, nonNil(w.ServiceIDs), utc(w.StartsAt), utc(w.EndsAt), w.Status,
		w.StartedAt, w.EndedAt, utc(w.CreatedAt), utc(w.UpdatedAt), w.Version); err != nil {
		return err
	}
	pages.services = append(pages.services, old...)
	pages.services = append(pages.services, w.ServiceIDs...)
	if !ev.Notify {
		return nil
	}
	return queue(ctx, tx, now, "maintenance", w.ID, w.Version, w.ServiceIDs, res)
}

// queue adds a delivery of a record's version for each confirmed
// subscriber of a page showing one of the services who wants one of
// their components.
func queue(ctx context.Context, tx pgx.Tx, now time.Time, kind, id string, version int64, serviceIDs []string, res *ApplyResult) error {
	tag, err := tx.Exec(ctx, `INSERT INTO statuspage.deliveries (subscriber_id, event_key, kind, ref, ref_version, next_at, created_at)
		SELECT DISTINCT s.id, $1 || ':' || $2 || ':' || $3::bigint, $1, $2, $3::bigint, $5::timestamptz, $5::timestamptz
		FROM statuspage.subscribers s JOIN statuspage.components c ON c.page_id = s.page_id AND c.service_id = ANY ($4)
		WHERE s.confirmed_at IS NOT NULL AND (cardinality(s.component_ids) = 0 OR c.id = ANY (s.component_ids))
		ON CONFLICT DO NOTHING`, kind, id, version, nonNil(serviceIDs), now)
	if err != nil {
		return err
	}
	res.Deliveries += tag.RowsAffected()
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
