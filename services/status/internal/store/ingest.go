package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// ApplyIngest applies one webhook delivery: ApplyIngestBatch of one. A
// deleted receiver is domain.ErrNotFound.
func (st *Store) ApplyIngest(ctx context.Context, in domain.Ingest, at time.Time, event EventFunc) (domain.Ingested, error) {
	res, err := st.ApplyIngestBatch(ctx, []domain.Ingest{in}, at, event)
	if err != nil {
		return domain.Ingested{}, err
	}
	if res[0].Orphan {
		return res[0], fmt.Errorf("apply delivery %s: receiver %s: %w", in.DeliveryID, in.ReceiverID, domain.ErrNotFound)
	}
	return res[0], nil
}

// ApplyIngestBatch applies webhook deliveries, in the order given, in one
// transaction, and returns what each did (domain.IngestState.Ingest): the
// result is the one applying them one by one would give, at the cost of
// one commit and a few statements for the whole batch.
//
// It locks the receivers' delivery logs and the services the deliveries
// report on, each set in a fixed order so that concurrent batches cannot
// deadlock; reads the receivers, the deliveries' log entries, the logs'
// kept entries and the newest applied deliveries at once; applies the
// deliveries in memory; and writes the log entries, the services changed,
// their history and outbox events, the applied deliveries, and prunes each
// log to domain.MaxDeliveries once. A delivery of a receiver that was
// deleted is answered domain.OrphanDelivery and changes nothing; one whose
// receiver is of another organisation fails the whole batch with
// domain.ErrForeignReceiver, before anything is written.
func (st *Store) ApplyIngestBatch(ctx context.Context, ins []domain.Ingest, at time.Time, event EventFunc) ([]domain.Ingested, error) {
	var out []domain.Ingested
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		out = make([]domain.Ingested, 0, len(ins))
		state, err := loadIngestState(ctx, tx, ins)
		if err != nil {
			return err
		}
		for _, in := range ins {
			res, err := state.Ingest(in, at)
			if err != nil {
				return fmt.Errorf("apply delivery %s: %w", in.DeliveryID, err)
			}
			out = append(out, res)
		}
		return st.writeIngested(ctx, tx, state, out, event)
	})
	if err != nil {
		return nil, fmt.Errorf("apply %d deliveries: %w", len(ins), err)
	}
	return out, nil
}

// loadIngestState locks and reads what the deliveries touch, in two round
// trips: the delivery logs' locks and the reads that need only the
// deliveries go together, then the services, which need the receivers.
func loadIngestState(ctx context.Context, tx pgx.Tx, ins []domain.Ingest) (*domain.IngestState, error) {
	s := domain.NewIngestState()
	receiverIDs, deliveryIDs := distinct(ins, func(in domain.Ingest) string { return in.ReceiverID }),
		distinct(ins, func(in domain.Ingest) string { return in.DeliveryID })
	b := &pgx.Batch{}
	// Taken first, so that a concurrent copy of the same delivery waits
	// here and then finds it recorded.
	queueLockDeliveryLogs(b, receiverIDs)
	// By id alone, so that an event naming another organisation's receiver
	// is told from one whose receiver was deleted.
	b.Queue(`SELECT `+receiverColumns+` FROM status.receivers WHERE id = ANY($1)`, receiverIDs).Query(func(rows pgx.Rows) error {
		return forEach(rows, scanReceiver, func(r domain.Receiver) { s.Receivers[r.ID] = r })
	})
	b.Queue(`SELECT `+deliveryColumns+` FROM status.deliveries WHERE id = ANY($1)`, deliveryIDs).Query(func(rows pgx.Rows) error {
		return forEach(rows, scanDelivery, func(d domain.Delivery) { s.Recorded[d.ID] = d })
	})
	// The entries each log keeps, oldest first: all its entries, as the
	// log never holds more (what a batch pushes out it deletes).
	b.Queue(`SELECT k.receiver_id, k.received_at, k.id FROM unnest($1::text[]) AS r(id)
		CROSS JOIN LATERAL (SELECT receiver_id, received_at, id FROM status.deliveries
			WHERE receiver_id = r.id ORDER BY received_at DESC, id DESC LIMIT $2) AS k
		ORDER BY k.receiver_id, k.received_at, k.id`, receiverIDs, domain.MaxDeliveries).Query(func(rows pgx.Rows) error {
		var receiverID string
		var key domain.LogKey
		_, err := pgx.ForEachRow(rows, []any{&receiverID, &key.ReceivedAt, &key.ID}, func() error {
			s.Kept[receiverID] = append(s.Kept[receiverID], key)
			return nil
		})
		return err
	})
	// The newest delivery each receiver applied to each service.
	b.Queue(`SELECT receiver_id, service_id, delivery_id, received_at FROM status.applied_deliveries
		WHERE receiver_id = ANY($1)`, receiverIDs).Query(func(rows pgx.Rows) error {
		var a domain.Applied
		_, err := pgx.ForEachRow(rows, []any{&a.ReceiverID, &a.ServiceID, &a.DeliveryID, &a.ReceivedAt}, func() error {
			s.Applied[domain.AppliedKey{ReceiverID: a.ReceiverID, ServiceID: a.ServiceID}] = a
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read receivers and logs: %w", err)
	}
	return s, lockTargets(ctx, tx, s, ins)
}

// lockTargets reads and locks the services the deliveries may report on,
// by id or by name in any case within the receiver's organisation, in id
// order.
func lockTargets(ctx context.Context, tx pgx.Tx, s *domain.IngestState, ins []domain.Ingest) error {
	var ids, nameOrgs, names []string
	for _, in := range ins {
		r, ok := s.Receivers[in.ReceiverID]
		if !ok || in.Result != domain.Processed {
			continue
		}
		switch id, name := r.Target(in); {
		case id != "":
			ids = append(ids, id)
		case name != "":
			nameOrgs, names = append(nameOrgs, r.OrgID), append(names, strings.ToLower(name))
		}
	}
	if len(ids) == 0 && len(names) == 0 {
		return nil
	}
	// FOR NO KEY UPDATE, as lockService takes, in id order: Sort sits below
	// LockRows, so the rows are locked in that order.
	rows, err := tx.Query(ctx, `SELECT `+serviceColumns+` FROM status.services
		WHERE id = ANY($1) OR (org_id, lower(name)) IN (SELECT * FROM unnest($2::text[], $3::text[]))
		ORDER BY id FOR NO KEY UPDATE`, ids, nameOrgs, names)
	if err != nil {
		return err
	}
	return forEach(rows, scanService, func(svc domain.Service) {
		s.Services[svc.ID] = &svc
		s.ByName[domain.NewNameKey(svc.OrgID, svc.Name)] = svc.ID
	})
}

// writeIngested writes what applying the batch changed.
func (st *Store) writeIngested(ctx context.Context, tx pgx.Tx, s *domain.IngestState, out []domain.Ingested, event EventFunc) error {
	var logged []domain.Delivery
	var changes []domain.Change
	var evs []bus.Event
	applied := map[domain.AppliedKey]domain.Applied{}
	for _, res := range out {
		if res.Recorded && !s.Unlogged[res.Delivery.ID] {
			logged = append(logged, res.Delivery)
		}
		if res.Applied {
			d := res.Delivery
			applied[domain.AppliedKey{ReceiverID: d.ReceiverID, ServiceID: d.ServiceID}] = s.Applied[domain.AppliedKey{ReceiverID: d.ReceiverID, ServiceID: d.ServiceID}]
		}
		if res.Change != nil {
			ev, err := event(*res.Service, *res.Change)
			if err != nil {
				return err
			}
			changes, evs = append(changes, *res.Change), append(evs, ev)
		}
	}
	// One round trip for every write. The log entries after the services,
	// whose row locks are taken already: their inserts lock the receivers'
	// keys, and a deletion of a receiver must not hold it while it waits
	// for a service.
	b := &pgx.Batch{}
	queueUpdateServices(b, s.Services, s.Dirty)
	queueHistory(b, changes)
	st.Outbox.Queue(ctx, b, evs...)
	queueDeliveries(b, logged)
	queueDeleteDeliveries(b, s.Pruned)
	queueApplied(b, applied)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write %d deliveries: %w", len(out), err)
	}
	return nil
}

// queueUpdateServices queues the update of the services of dirty, as svcs
// holds them.
func queueUpdateServices(b *pgx.Batch, svcs map[string]*domain.Service, dirty []string) {
	if len(dirty) == 0 {
		return
	}
	n := len(dirty)
	ids, statuses, descs := make([]string, n), make([]string, n), make([]string, n)
	changedAt, updatedAt, versions, statusVersions := make([]time.Time, n), make([]time.Time, n), make([]int64, n), make([]int64, n)
	for i, id := range dirty {
		svc := svcs[id]
		ids[i], statuses[i], descs[i] = svc.ID, string(svc.Status), svc.StatusDescription
		changedAt[i], updatedAt[i], versions[i], statusVersions[i] = svc.StatusChangedAt, svc.UpdatedAt, svc.Version, svc.StatusVersion
	}
	b.Queue(`UPDATE status.services AS s
		SET status = u.status, status_description = u.status_description, status_changed_at = u.status_changed_at,
			updated_at = u.updated_at, version = u.version, status_version = u.status_version
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[], $7::bigint[])
			AS u(id, status, status_description, status_changed_at, updated_at, version, status_version)
		WHERE s.id = u.id`, ids, statuses, descs, changedAt, updatedAt, versions, statusVersions)
}

// queueHistory queues the insert of status history rows.
func queueHistory(b *pgx.Batch, changes []domain.Change) {
	if len(changes) == 0 {
		return
	}
	n := len(changes)
	svcs, prev, statuses, descs, sources, actors := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, at := make([]int64, n), make([]time.Time, n)
	for i, c := range changes {
		svcs[i], versions[i], prev[i], statuses[i] = c.ServiceID, c.Version, string(c.Previous), string(c.Status)
		descs[i], sources[i], actors[i], at[i] = c.Description, string(c.Source), c.Actor, c.ChangedAt
	}
	b.Queue(`INSERT INTO status.status_history
		(service_id, version, previous_status, status, description, source, actor, changed_at)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])`,
		svcs, versions, prev, statuses, descs, sources, actors, at)
}

// distinct returns the distinct values of key over ins, sorted.
func distinct(ins []domain.Ingest, key func(domain.Ingest) string) []string {
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, key(in))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// forEach scans every row with scan and hands it to fn.
func forEach[T any](rows pgx.Rows, scan func(pgx.Row) (T, error), fn func(T)) error {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}
