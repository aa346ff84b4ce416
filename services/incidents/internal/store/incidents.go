package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

const incidentColumns = `id, org_id, title, status, severity, service_ids, source,
	coalesce(receiver_id, ''), created_at, updated_at, resolved_at, version`

func scanIncident(row pgx.Row) (domain.Incident, error) {
	var i domain.Incident
	var status, severity, source string
	var resolved *time.Time
	err := row.Scan(&i.ID, &i.OrgID, &i.Title, &status, &severity, &i.ServiceIDs, &source,
		&i.ReceiverID, &i.CreatedAt, &i.UpdatedAt, &resolved, &i.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return i, domain.ErrNotFound
	}
	i.Status, i.Severity, i.Source = domain.IncidentStatus(status), domain.Severity(severity), domain.Source(source)
	if resolved != nil {
		i.ResolvedAt = *resolved
	}
	return i, err
}

// newestPage finishes a listing query of records with service_ids and
// ids that sort by creation: those covering serviceID (if set), below
// beforeID (if set), newest first, at most limit. sql ends in a WHERE
// clause whose placeholders are args.
func newestPage(sql string, args []any, serviceID, beforeID string, limit int) (string, []any) {
	if serviceID != "" {
		args = append(args, []string{serviceID})
		sql += fmt.Sprintf(` AND service_ids @> $%d`, len(args))
	}
	if beforeID != "" {
		args = append(args, beforeID)
		sql += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, limit)
	return sql + fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args
}

// querier is what reads need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// loadUpdates fills the timelines of incidents, oldest entry first.
func loadUpdates(ctx context.Context, q querier, incidents []domain.Incident) error {
	if len(incidents) == 0 {
		return nil
	}
	ids := make([]string, len(incidents))
	index := make(map[string]int, len(incidents))
	for n, i := range incidents {
		ids[n] = i.ID
		index[i.ID] = n
		incidents[n].Updates = []domain.Update{}
	}
	rows, err := q.Query(ctx, `SELECT incident_id, created_at, status, message, author
		FROM incidents.incident_updates WHERE incident_id = ANY($1) ORDER BY incident_id, seq`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var u domain.Update
		if err := rows.Scan(&id, &u.At, &status, &u.Message, &u.Author); err != nil {
			return err
		}
		u.Status = domain.IncidentStatus(status)
		n := index[id]
		incidents[n].Updates = append(incidents[n].Updates, u)
	}
	return rows.Err()
}

// getIncident reads one incident of the organisation with its timeline;
// lock adds a row lock held until tx ends.
func getIncident(ctx context.Context, q querier, orgID, id string, lock bool) (domain.Incident, error) {
	sql := `SELECT ` + incidentColumns + ` FROM incidents.incidents WHERE org_id = $1 AND id = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	i, err := scanIncident(q.QueryRow(ctx, sql, orgID, id))
	if err != nil {
		return i, err
	}
	one := []domain.Incident{i}
	err = loadUpdates(ctx, q, one)
	return one[0], err
}

// GetIncident returns the organisation's incident with its timeline.
func (st *Store) GetIncident(ctx context.Context, orgID, id string) (domain.Incident, error) {
	var i domain.Incident
	err := pgdb.Snapshot(ctx, st.pool, func(tx pgx.Tx) (err error) {
		i, err = getIncident(ctx, tx, orgID, id, false)
		return err
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		err = fmt.Errorf("get incident %s: %w", id, err)
	}
	return i, err
}

// IncidentFilter selects incidents to list.
type IncidentFilter struct {
	// Open selects open (true) or resolved (false) incidents; nil selects all.
	Open *bool
	// ServiceID, when set, selects incidents affecting the service.
	ServiceID string
	// BeforeID continues a listing after (below) this id.
	BeforeID string
}

// ListIncidents returns up to limit of the organisation's incidents
// matching f, newest first, with their timelines.
func (st *Store) ListIncidents(ctx context.Context, orgID string, f IncidentFilter, limit int) ([]domain.Incident, error) {
	sql := `SELECT ` + incidentColumns + ` FROM incidents.incidents WHERE org_id = $1`
	args := []any{orgID}
	if f.Open != nil {
		if *f.Open {
			sql += ` AND status <> 'resolved'`
		} else {
			sql += ` AND status = 'resolved'`
		}
	}
	sql, args = newestPage(sql, args, f.ServiceID, f.BeforeID, limit)
	var out []domain.Incident
	err := pgdb.Snapshot(ctx, st.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Incident, error) { return scanIncident(r) }); err != nil {
			return err
		}
		return loadUpdates(ctx, tx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// CreateIncident stores a new incident and its event.
func (st *Store) CreateIncident(ctx context.Context, i domain.Incident, event IncidentEvent) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		return st.saveIncident(ctx, tx, nil, i, "", event)
	})
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	return nil
}

// ModifyIncident applies change to the organisation's incident under its
// row lock and stores the result with its event, unless change reports
// that nothing changed. It returns the incident afterwards.
func (st *Store) ModifyIncident(ctx context.Context, orgID, id string,
	change func(domain.Incident) (domain.Incident, bool, error), event IncidentEvent) (domain.Incident, error) {
	var after domain.Incident
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err := getIncident(ctx, tx, orgID, id, true)
		if err != nil {
			return err
		}
		var changed bool
		after, changed, err = change(before)
		if err != nil || !changed {
			return err
		}
		return st.saveIncident(ctx, tx, &before, after, "", event)
	})
	if err != nil {
		var terr *domain.TransitionError
		var verr *domain.ValidationError
		if !errors.Is(err, domain.ErrNotFound) && !errors.As(err, &terr) && !errors.As(err, &verr) {
			err = fmt.Errorf("modify incident %s: %w", id, err)
		}
		return domain.Incident{}, err
	}
	return after, nil
}

// saveIncident writes after (new when before is nil), the timeline entries
// it added and its event. autoServiceID is the service a receiver opens a
// new incident for.
func (st *Store) saveIncident(ctx context.Context, tx pgx.Tx, before *domain.Incident, after domain.Incident, autoServiceID string, event IncidentEvent) error {
	var resolved *time.Time
	if !after.ResolvedAt.IsZero() {
		resolved = &after.ResolvedAt
	}
	if before == nil {
		var receiverID, autoService *string
		if after.Source == domain.SourceReceiver {
			receiverID, autoService = &after.ReceiverID, &autoServiceID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incidents.incidents
			(id, org_id, title, status, severity, service_ids, source, receiver_id, auto_service_id,
			 created_at, updated_at, resolved_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			after.ID, after.OrgID, after.Title, string(after.Status), string(after.Severity), after.ServiceIDs,
			string(after.Source), receiverID, autoService, after.CreatedAt, after.UpdatedAt, resolved, after.Version); err != nil {
			return err
		}
	} else if _, err := tx.Exec(ctx, `UPDATE incidents.incidents SET title = $2, status = $3, severity = $4,
			service_ids = $5, updated_at = $6, resolved_at = $7, version = $8 WHERE id = $1`,
		after.ID, after.Title, string(after.Status), string(after.Severity), after.ServiceIDs,
		after.UpdatedAt, resolved, after.Version); err != nil {
		return err
	}
	from := 0
	if before != nil {
		from = len(before.Updates)
	}
	for n := from; n < len(after.Updates); n++ {
		u := after.Updates[n]
		if _, err := tx.Exec(ctx, `INSERT INTO incidents.incident_updates (incident_id, seq, created_at, status, message, author)
			VALUES ($1, $2, $3, $4, $5, $6)`, after.ID, n+1, u.At, string(u.Status), u.Message, u.Author); err != nil {
			return err
		}
	}
	ev, err := event(before, after)
	if err != nil {
		return err
	}
	return st.Outbox.Write(ctx, tx, ev)
}
