package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// lockDeliveryLogs serialises, until tx ends, the transactions that write
// the receivers' delivery logs, so that pruning keeps exactly the newest
// domain.MaxDeliveries even with several consumers. Advisory locks rather
// than the receivers' row locks: deleting a service updates its receivers
// (ON DELETE SET NULL) while it holds the service's row lock, which an
// ingest takes after these, and the two row locks could deadlock. The ids
// come sorted, and unnest yields them in order, so that two batches take
// their common locks in the same order.
func lockDeliveryLogs(ctx context.Context, tx pgx.Tx, sortedReceiverIDs []string) error {
	_, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(hashtext('upstate.status.deliveries'), hashtext(r)))
		FROM unnest($1::text[]) AS r`, sortedReceiverIDs)
	return err
}

// insertDeliveries writes log entries.
func insertDeliveries(ctx context.Context, tx pgx.Tx, ds []domain.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"status", "deliveries"}, strings.Split(strings.Join(strings.Fields(deliveryColumns), ""), ","),
		pgx.CopyFromSlice(len(ds), func(i int) ([]any, error) {
			d := ds[i]
			payload := d.Payload
			if payload == nil {
				payload = []byte{}
			}
			return []any{d.ID, d.ReceiverID, d.OrgID, d.ReceivedAt, d.SourceIP, payload, d.PayloadTruncated,
				string(d.Result), d.Error, d.RawStatus, string(d.MappedStatus), string(d.PreviousStatus),
				string(d.NewStatus), d.ServiceID}, nil
		}))
	if err != nil {
		return fmt.Errorf("write delivery log: %w", err)
	}
	return nil
}

// pruneDeliveryLogs deletes, from the logs of the receivers of ds, the
// deliveries beyond the newest domain.MaxDeliveries, ordered as they are
// listed.
func pruneDeliveryLogs(ctx context.Context, tx pgx.Tx, ds []domain.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.ReceiverID)
	}
	slices.Sort(ids)
	_, err := tx.Exec(ctx, `DELETE FROM status.deliveries AS d USING (
			SELECT r.id, k.received_at, k.delivery_id FROM unnest($1::text[]) AS r(id)
			CROSS JOIN LATERAL (SELECT received_at, id AS delivery_id FROM status.deliveries
				WHERE receiver_id = r.id ORDER BY received_at DESC, id DESC OFFSET $2 LIMIT 1) AS k
		) AS oldest
		WHERE d.receiver_id = oldest.id AND (d.received_at, d.id) < (oldest.received_at, oldest.delivery_id)`,
		slices.Compact(ids), domain.MaxDeliveries-1)
	if err != nil {
		return fmt.Errorf("prune delivery logs: %w", err)
	}
	return nil
}

// recordApplied makes each delivery the newest its receiver applied to its
// service, unless a newer one is recorded already.
func recordApplied(ctx context.Context, tx pgx.Tx, applied map[domain.AppliedKey]domain.Applied) error {
	if len(applied) == 0 {
		return nil
	}
	var receivers, services, deliveries []string
	var at []time.Time
	for _, a := range applied {
		receivers, services = append(receivers, a.ReceiverID), append(services, a.ServiceID)
		deliveries, at = append(deliveries, a.DeliveryID), append(at, a.ReceivedAt)
	}
	_, err := tx.Exec(ctx, `INSERT INTO status.applied_deliveries AS a (receiver_id, service_id, delivery_id, received_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT (receiver_id, service_id) DO UPDATE
		SET delivery_id = EXCLUDED.delivery_id, received_at = EXCLUDED.received_at
		WHERE (a.received_at, a.delivery_id) < (EXCLUDED.received_at, EXCLUDED.delivery_id)`,
		receivers, services, deliveries, at)
	if err != nil {
		return fmt.Errorf("record applied deliveries: %w", err)
	}
	return nil
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
