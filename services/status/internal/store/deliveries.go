package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/status/internal/domain"
)

const deliveryColumns = `id, receiver_id, org_id, received_at, source_ip, payload, payload_truncated,
	result, error, raw_status, mapped_status, previous_status, new_status, service_id`

func scanDelivery(row pgx.Row) (domain.Delivery, error) {
	var d domain.Delivery
	var result, mapped, previous, next string
	err := row.Scan(&d.ID, &d.ReceiverID, &d.OrgID, &d.ReceivedAt, &d.SourceIP, &d.Payload, &d.PayloadTruncated,
		&result, &d.Error, &d.RawStatus, &mapped, &previous, &next, &d.ServiceID)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, domain.ErrNotFound
	}
	d.Result = domain.DeliveryResult(result)
	d.MappedStatus, d.PreviousStatus, d.NewStatus = domain.Status(mapped), domain.Status(previous), domain.Status(next)
	return d, err
}

// queueLockDeliveryLogs serialises, until tx ends, the transactions that write
// the receivers' delivery logs, so that pruning keeps exactly the newest
// domain.MaxDeliveries even with several consumers. Advisory locks rather
// than the receivers' row locks: deleting a service updates its receivers
// (ON DELETE SET NULL) while it holds the service's row lock, which an
// ingest takes after these, and the two row locks could deadlock. The ids
// come sorted, and unnest yields them in order, so that two batches take
// their common locks in the same order.
func queueLockDeliveryLogs(b *pgx.Batch, sortedReceiverIDs []string) {
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtext('upstate.status.deliveries'), hashtext(r)))
		FROM unnest($1::text[]) AS r`, sortedReceiverIDs)
}

// queueDeliveries queues the insert of log entries.
func queueDeliveries(b *pgx.Batch, ds []domain.Delivery) {
	if len(ds) == 0 {
		return
	}
	n := len(ds)
	ids, receivers, orgs, ips, results, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	raws, mapped, prev, next, svcs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at, payloads, truncated := make([]time.Time, n), make([][]byte, n), make([]bool, n)
	for i, d := range ds {
		ids[i], receivers[i], orgs[i], at[i], ips[i] = d.ID, d.ReceiverID, d.OrgID, d.ReceivedAt, d.SourceIP
		payloads[i], truncated[i], results[i], errs[i] = d.Payload, d.PayloadTruncated, string(d.Result), d.Error
		if payloads[i] == nil {
			payloads[i] = []byte{}
		}
		raws[i], mapped[i], prev[i], next[i], svcs[i] = d.RawStatus, string(d.MappedStatus), string(d.PreviousStatus), string(d.NewStatus), d.ServiceID
	}
	b.Queue(`INSERT INTO status.deliveries (`+deliveryColumns+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bytea[], $7::bool[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])`,
		ids, receivers, orgs, at, ips, payloads, truncated, results, errs, raws, mapped, prev, next, svcs)
}

// queueDeleteDeliveries queues the deletion of the log entries of ids,
// those a batch pushed out of their receivers' logs.
func queueDeleteDeliveries(b *pgx.Batch, ids []string) {
	if len(ids) > 0 {
		b.Queue(`DELETE FROM status.deliveries WHERE id = ANY($1)`, ids)
	}
}

// queueApplied queues making each delivery the newest its receiver applied
// to its service, unless a newer one is recorded already.
func queueApplied(b *pgx.Batch, applied map[domain.AppliedKey]domain.Applied) {
	if len(applied) == 0 {
		return
	}
	var receivers, services, deliveries []string
	var at []time.Time
	for _, a := range applied {
		receivers, services = append(receivers, a.ReceiverID), append(services, a.ServiceID)
		deliveries, at = append(deliveries, a.DeliveryID), append(at, a.ReceivedAt)
	}
	b.Queue(`INSERT INTO status.applied_deliveries AS a (receiver_id, service_id, delivery_id, received_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT (receiver_id, service_id) DO UPDATE
		SET delivery_id = EXCLUDED.delivery_id, received_at = EXCLUDED.received_at
		WHERE (a.received_at, a.delivery_id) < (EXCLUDED.received_at, EXCLUDED.delivery_id)`,
		receivers, services, deliveries, at)
}

// ListDeliveries returns the log of the organisation's receiver, newest
// first.
func (st *Store) ListDeliveries(ctx context.Context, orgID, receiverID string) ([]domain.Delivery, error) {
	// Checking the receiver first makes another organisation's id NOT_FOUND
	// rather than an empty log.
	var exists bool
	if err := st.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM status.receivers WHERE org_id = $1 AND id = $2)`,
		orgID, receiverID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", receiverID, err)
	}
	if !exists {
		return nil, domain.ErrNotFound
	}
	rows, err := st.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM status.deliveries
		WHERE receiver_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2`, receiverID, domain.MaxDeliveries)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", receiverID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", receiverID, err)
	}
	return out, nil
}

// GetDelivery returns one delivery of the organisation's receiver.
func (st *Store) GetDelivery(ctx context.Context, orgID, receiverID, id string) (domain.Delivery, error) {
	d, err := scanDelivery(st.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM status.deliveries
		WHERE org_id = $1 AND receiver_id = $2 AND id = $3`, orgID, receiverID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return d, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return d, err
}
