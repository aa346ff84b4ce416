package store

import (
	"context"
	"errors"
	"fmt"

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

// lockDeliveryLog serialises, until tx ends, the transactions that write
// the receiver's delivery log, so that pruning keeps exactly the newest
// domain.MaxDeliveries even with several consumers. An advisory lock rather
// than the receiver's row lock: deleting a service updates its receivers
// (ON DELETE SET NULL) while it holds the service's row lock, which an
// ingest takes after this one, and the two row locks could deadlock.
func lockDeliveryLog(ctx context.Context, tx pgx.Tx, receiverID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('upstate.status.deliveries'), hashtext($1))`, receiverID)
	return err
}

// recordDelivery inserts d and deletes the receiver's deliveries beyond the
// newest domain.MaxDeliveries, ordered as they are listed.
func recordDelivery(ctx context.Context, tx pgx.Tx, d domain.Delivery) error {
	payload := d.Payload
	if payload == nil {
		payload = []byte{}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO status.deliveries (`+deliveryColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		d.ID, d.ReceiverID, d.OrgID, d.ReceivedAt, d.SourceIP, payload, d.PayloadTruncated,
		string(d.Result), d.Error, d.RawStatus, string(d.MappedStatus), string(d.PreviousStatus),
		string(d.NewStatus), d.ServiceID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM status.deliveries WHERE receiver_id = $1 AND (received_at, id) < (
		SELECT received_at, id FROM status.deliveries WHERE receiver_id = $1
		ORDER BY received_at DESC, id DESC OFFSET $2 LIMIT 1)`, d.ReceiverID, domain.MaxDeliveries-1)
	return err
}

// oldestKept returns the oldest delivery a full log keeps, ok false when the
// receiver's log is not full.
func oldestKept(ctx context.Context, tx pgx.Tx, receiverID string) (d domain.Delivery, ok bool, err error) {
	d, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM status.deliveries
		WHERE receiver_id = $1 ORDER BY received_at DESC, id DESC OFFSET $2 LIMIT 1`,
		receiverID, domain.MaxDeliveries-1))
	if errors.Is(err, domain.ErrNotFound) {
		return d, false, nil
	}
	return d, err == nil, err
}

// appliedDelivery returns the newest delivery of the receiver applied to
// the service; ok is false when there is none.
func appliedDelivery(ctx context.Context, tx pgx.Tx, receiverID, serviceID string) (a domain.Applied, ok bool, err error) {
	a = domain.Applied{ReceiverID: receiverID, ServiceID: serviceID}
	err = tx.QueryRow(ctx, `SELECT delivery_id, received_at FROM status.applied_deliveries
		WHERE receiver_id = $1 AND service_id = $2`, receiverID, serviceID).Scan(&a.DeliveryID, &a.ReceivedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}

// recordApplied makes d, a delivery just applied to its service, the
// receiver's newest applied delivery for the service, unless a newer one
// is recorded already.
func recordApplied(ctx context.Context, tx pgx.Tx, d domain.Delivery) error {
	_, err := tx.Exec(ctx, `INSERT INTO status.applied_deliveries AS a (receiver_id, service_id, delivery_id, received_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (receiver_id, service_id) DO UPDATE
		SET delivery_id = EXCLUDED.delivery_id, received_at = EXCLUDED.received_at
		WHERE (a.received_at, a.delivery_id) < (EXCLUDED.received_at, EXCLUDED.delivery_id)`,
		d.ReceiverID, d.ServiceID, d.ID, d.ReceivedAt)
	return err
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
