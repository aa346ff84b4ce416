package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

// Advisory lock classes (the first key of pg_advisory_lock(int, int)).
const (
	// lockWindow serialises everything done to one maintenance window:
	// the scheduler's start and end, and API changes.
	lockWindow = 1
	// lockService serialises the windows acting on one service, so that
	// windows sharing it agree on which of them gives its status back.
	lockService = 2
)

// Window is a maintenance window locked for its caller, with the one
// connection everything done to it goes through: the lock is a session
// advisory lock held by that connection, and its holds are committed one
// by one as services enter and leave maintenance, so that a failure
// halfway resumes where it stopped. Using one connection for all of it
// also means no work on a window ever waits for a second connection from
// the pool while holding one.
type Window struct {
	conn   *pgxpool.Conn
	outbox *outbox.Outbox
	// M is the window as read once the lock was taken.
	M domain.Maintenance
}

// Lock modes of LockWindow.
const (
	// Wait waits for a window another caller holds.
	Wait = false
	// SkipLocked passes over a window another replica is working on.
	SkipLocked = true
)

// ErrBusy means a window stayed locked by other work for longer than a
// caller waits.
var ErrBusy = errors.New("the maintenance window is being worked on")

// lockWait bounds how long LockWindow waits for a window; lockPoll is how
// often it tries meanwhile. Trying rather than blocking in Postgres means a
// caller that gives up leaves no backend waiting for the lock.
const (
	lockWait = 10 * time.Second
	lockPoll = 50 * time.Millisecond
)

// LockWindow locks the organisation's window (any organisation's when
// orgID is empty) and reads it. With skipLocked it returns nil when
// another caller holds the window; otherwise it waits up to ten seconds
// and then returns ErrBusy. The caller must Release it.
func (st *Store) LockWindow(ctx context.Context, orgID, id string, skipLocked bool) (*Window, error) {
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock maintenance %s: %w", id, err)
	}
	w := &Window{conn: conn, outbox: st.Outbox}
	deadline := time.Now().Add(lockWait)
	for {
		var ok bool
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockWindow, id).Scan(&ok)
		if err != nil || ok {
			break
		}
		if skipLocked {
			conn.Release()
			return nil, nil
		}
		if time.Now().After(deadline) {
			conn.Release()
			return nil, ErrBusy
		}
		select {
		case <-ctx.Done():
			conn.Release()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
	if err != nil {
		w.Release(ctx)
		return nil, fmt.Errorf("lock maintenance %s: %w", id, err)
	}
	w.M, err = scanMaintenance(conn.QueryRow(ctx, `SELECT `+maintenanceColumns+`
		FROM incidents.maintenances WHERE id = $1 AND ($2 = '' OR org_id = $2)`, id, orgID))
	if err != nil {
		w.Release(ctx)
		if !errors.Is(err, domain.ErrNotFound) {
			err = fmt.Errorf("read maintenance %s: %w", id, err)
		}
		return nil, err
	}
	return w, nil
}

// Release unlocks the window and gives its connection back. If the
// unlock fails the connection is closed, which releases its locks too.
func (w *Window) Release(ctx context.Context) {
	if _, err := w.conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock_all()`); err != nil {
		_ = w.conn.Conn().Close(context.WithoutCancel(ctx))
	}
	w.conn.Release()
}

// Save writes the window as change left it, and its event if any, in
// one transaction. A window whose version did not move is not written.
func (w *Window) Save(ctx context.Context, after domain.Maintenance, ev *bus.Event) error {
	if after.Version == w.M.Version {
		return nil
	}
	err := pgx.BeginFunc(ctx, w.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE incidents.maintenances SET title = $2, message = $3, service_ids = $4,
			starts_at = $5, ends_at = $6, status = $7, started_at = $8, ended_at = $9, updated_at = $10, version = $11
			WHERE id = $1`, after.ID, after.Title, after.Message, after.ServiceIDs, after.StartsAt, after.EndsAt,
			string(after.Status), nullTime(after.StartedAt), nullTime(after.EndedAt), after.UpdatedAt, after.Version); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		return w.outbox.Write(ctx, tx, *ev)
	})
	if err != nil {
		return fmt.Errorf("save maintenance %s: %w", after.ID, err)
	}
	w.M = after
	return nil
}

const holdColumns = `maintenance_id, service_id, previous_status, previous_description, version, pending, ended`

func scanHold(r pgx.CollectableRow) (domain.Hold, error) {
	var h domain.Hold
	var prev string
	err := r.Scan(&h.MaintenanceID, &h.ServiceID, &prev, &h.PreviousDescription, &h.Version, &h.Pending, &h.Ended)
	h.PreviousStatus = domain.ServiceStatus(prev)
	return h, err
}

// Holds returns the services the window holds, by service id.
func (w *Window) Holds(ctx context.Context) (map[string]domain.Hold, error) {
	rows, err := w.conn.Query(ctx, `SELECT `+holdColumns+` FROM incidents.maintenance_services
		WHERE maintenance_id = $1`, w.M.ID)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", w.M.ID, err)
	}
	holds, err := pgx.CollectRows(rows, scanHold)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", w.M.ID, err)
	}
	out := make(map[string]domain.Hold, len(holds))
	for _, h := range holds {
		out[h.ServiceID] = h
	}
	return out, nil
}

// LockService takes the lock that serialises the windows acting on a
// service; the returned function releases it.
func (w *Window) LockService(ctx context.Context, serviceID string) (unlock func(), err error) {
	if _, err := w.conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockService, serviceID); err != nil {
		return nil, fmt.Errorf("lock service %s: %w", serviceID, err)
	}
	return func() {
		// Release unlocks everything if this fails.
		_, _ = w.conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, lockService, serviceID)
	}, nil
}

// PutHold records (or replaces) the window's hold of a service; it is
// committed at once.
func (w *Window) PutHold(ctx context.Context, h domain.Hold) error {
	return w.putHold(ctx, w.M.ID, h)
}

// putHold records a hold of any window; callers hold the service's lock,
// under which every window's holds of that service may be written.
func (w *Window) putHold(ctx context.Context, maintenanceID string, h domain.Hold) error {
	if _, err := w.conn.Exec(ctx, `INSERT INTO incidents.maintenance_services
		(maintenance_id, service_id, previous_status, previous_description, version, pending, ended)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (maintenance_id, service_id) DO UPDATE SET previous_status = EXCLUDED.previous_status,
			previous_description = EXCLUDED.previous_description, version = EXCLUDED.version,
			pending = EXCLUDED.pending, ended = EXCLUDED.ended`,
		maintenanceID, h.ServiceID, string(h.PreviousStatus), h.PreviousDescription, h.Version, h.Pending, h.Ended); err != nil {
		return fmt.Errorf("hold %s for %s: %w", h.ServiceID, maintenanceID, err)
	}
	return nil
}

// DropHold forgets the window's hold of a service.
func (w *Window) DropHold(ctx context.Context, serviceID string) error {
	return w.dropHold(ctx, w.M.ID, serviceID)
}

func (w *Window) dropHold(ctx context.Context, maintenanceID, serviceID string) error {
	if _, err := w.conn.Exec(ctx, `DELETE FROM incidents.maintenance_services
		WHERE maintenance_id = $1 AND service_id = $2`, maintenanceID, serviceID); err != nil {
		return fmt.Errorf("drop hold of %s for %s: %w", serviceID, maintenanceID, err)
	}
	return nil
}

// ServiceHolds returns the holds of the service that have not ended, of
// every window, and the window's own, ended or not, in window order.
// Callers hold the service's lock.
func (w *Window) ServiceHolds(ctx context.Context, serviceID string) ([]domain.Hold, error) {
	rows, err := w.conn.Query(ctx, `SELECT `+holdColumns+` FROM incidents.maintenance_services
		WHERE service_id = $1 AND (NOT ended OR maintenance_id = $2) ORDER BY maintenance_id`, serviceID, w.M.ID)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", serviceID, err)
	}
	out, err := pgx.CollectRows(rows, scanHold)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", serviceID, err)
	}
	return out, nil
}

// SettleHold settles a window's pending hold at version.
func (w *Window) SettleHold(ctx context.Context, h domain.Hold, version int64) error {
	return w.putHold(ctx, h.MaintenanceID, h.Settled(version))
}

// DropPendingHold forgets a window's pending hold whose status change
// never took effect.
func (w *Window) DropPendingHold(ctx context.Context, h domain.Hold) error {
	return w.dropHold(ctx, h.MaintenanceID, h.ServiceID)
}
