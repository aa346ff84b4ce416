package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

// AutoResult is what ApplyStatusChange did.
type AutoResult struct {
	// Stale is true when the change was at or below the newest version
	// already applied for its receiver and service: a duplicate, or
	// overtaken by a newer change, so it was not applied.
	Stale bool
	// Action is what was done to the receiver's automatic incident.
	Action domain.AutoAction
	// Incident is the incident opened, noted or resolved, if any.
	Incident *domain.Incident
}

// ApplyStatusChange applies a StatusChanged event to the automatic
// incidents, in one transaction. Only events a receiver caused act on
// incidents, and only on that receiver's own:
//
//   - the newest version applied for the receiver and service is raised to
//     c.Version, or, if it already is at or above it, nothing else happens:
//     duplicates and events overtaken by a newer one of the same receiver
//     (redeliveries, a relay that republished, replicas) never open a
//     second incident or resolve one opened after them. Events of other
//     sources in between do not matter: they do not act on this
//     receiver's incidents. The row lock orders concurrent events;
//   - the receiver's open incident for the service, if any, is locked and
//     domain.PlanAuto decides what to do; the partial unique index on open
//     automatic incidents backs this up in the schema.
//
// newID is called for the id of an incident to open.
func (st *Store) ApplyStatusChange(ctx context.Context, c domain.StatusChange, newID func() string, event IncidentEvent) (AutoResult, error) {
	res, err := st.ApplyStatusChanges(ctx, []domain.StatusChange{c}, newID, event)
	if err != nil {
		return AutoResult{}, err
	}
	return res[0], nil
}

// ApplyStatusChanges applies StatusChanged events, in the order given, in
// one transaction, each as ApplyStatusChange does: a burst costs one
// commit. It returns what each did.
func (st *Store) ApplyStatusChanges(ctx context.Context, cs []domain.StatusChange, newID func() string, event IncidentEvent) ([]AutoResult, error) {
	out := make([]AutoResult, len(cs))
	if !slices.ContainsFunc(cs, func(c domain.StatusChange) bool { return c.ReceiverID != "" }) {
		return out, nil
	}
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		for i, c := range cs {
			res, err := st.applyStatusChange(ctx, tx, c, newID, event)
			if err != nil {
				return fmt.Errorf("apply status change %s:%d: %w", c.ServiceID, c.Version, err)
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (st *Store) applyStatusChange(ctx context.Context, tx pgx.Tx, c domain.StatusChange, newID func() string, event IncidentEvent) (AutoResult, error) {
	var res AutoResult
	if c.ReceiverID == "" {
		return res, nil
	}
	var applied int64
	err := tx.QueryRow(ctx, `INSERT INTO incidents.receiver_versions AS v (receiver_id, service_id, version)
		VALUES ($1, $2, $3)
		ON CONFLICT (receiver_id, service_id) DO UPDATE SET version = EXCLUDED.version WHERE v.version < EXCLUDED.version
		RETURNING version`, c.ReceiverID, c.ServiceID, c.Version).Scan(&applied)
	if errors.Is(err, pgx.ErrNoRows) {
		res.Stale = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	open, err := openAutoIncident(ctx, tx, c.ReceiverID, c.ServiceID)
	if err != nil {
		return res, err
	}
	res.Action = domain.PlanAuto(c, open)
	var after domain.Incident
	switch res.Action {
	case domain.AutoNone:
		return res, nil
	case domain.AutoOpen:
		after = domain.OpenAuto(newID(), c)
	default:
		after = domain.NoteAuto(*open, c)
	}
	res.Incident = &after
	return res, st.saveIncident(ctx, tx, open, after, c.ServiceID, event)
}

// openAutoIncident returns, locked, the open incident the receiver opened
// for the service, or nil. The lock is taken by the query that finds it,
// so an incident resolved by hand in the meantime is not returned (Postgres
// re-checks the condition once the lock is granted).
func openAutoIncident(ctx context.Context, tx pgx.Tx, receiverID, serviceID string) (*domain.Incident, error) {
	var orgID, id string
	err := tx.QueryRow(ctx, `SELECT org_id, id FROM incidents.incidents
		WHERE receiver_id = $1 AND auto_service_id = $2 AND source = 'receiver' AND status <> 'resolved'
		FOR UPDATE`, receiverID, serviceID).Scan(&orgID, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	i, err := getIncident(ctx, tx, orgID, id, false)
	return &i, err
}

// ResolveDeletedService resolves, in one transaction, the open automatic
// incidents of a service that has been deleted (domain.ResolveDeleted),
// whichever receiver opened them, and returns them. Applied again it finds
// none open and does nothing.
func (st *Store) ResolveDeletedService(ctx context.Context, d domain.ServiceDeletion, event IncidentEvent) ([]domain.Incident, error) {
	var resolved []domain.Incident
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		resolved = nil
		rows, err := tx.Query(ctx, `SELECT id FROM incidents.incidents
			WHERE org_id = $1 AND auto_service_id = $2 AND source = 'receiver' AND status <> 'resolved'
			ORDER BY id FOR UPDATE`, d.OrgID, d.ServiceID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			open, err := getIncident(ctx, tx, d.OrgID, id, false)
			if err != nil {
				return err
			}
			after := domain.ResolveDeleted(open, d)
			if err := st.saveIncident(ctx, tx, &open, after, d.ServiceID, event); err != nil {
				return err
			}
			resolved = append(resolved, after)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve the incidents of deleted service %s: %w", d.ServiceID, err)
	}
	return resolved, nil
}
