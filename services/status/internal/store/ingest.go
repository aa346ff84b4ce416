package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// Ingested is what applying a webhook delivery did.
type Ingested struct {
	// Delivery is the delivery's log entry: the one recorded now or, for a
	// duplicate, the one recorded before.
	Delivery domain.Delivery
	// Change is the status change the delivery caused, nil when none.
	Change *domain.Change
	// Duplicate means the delivery had been recorded already; nothing was
	// written. When its log entry has been pruned since it was applied,
	// Delivery is domain.RepeatedDelivery.
	Duplicate bool
	// Superseded means the delivery was older than the receiver's full log
	// (domain.Superseded); nothing was written.
	Superseded bool
}

// ApplyIngest applies a webhook delivery in one transaction. It reads the
// receiver first (domain.ErrNotFound if it is gone,
// domain.ErrForeignReceiver if it is not of the delivery's organisation).
// It is idempotent on the delivery id: a delivery already in the log
// changes nothing and returns the recorded entry. Otherwise it locks the
// target service (by id, or
// by name in any case within the organisation), checks the delivery
// against the newest one the receiver applied to the service
// (domain.Applied, kept apart from the pruned log), plans the delivery
// (domain.PlanDelivery), applies the report through the same path as
// SetStatus with at as the change time, records the delivery with the
// statuses before and after, prunes the log and, when the report was
// applied, records it as the newest applied.
func (st *Store) ApplyIngest(ctx context.Context, in domain.Ingest, at time.Time, event EventFunc) (Ingested, error) {
	var res Ingested
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		res = Ingested{}
		// Taken first, so that a concurrent copy of the same delivery waits
		// here and then finds it recorded.
		if err := lockDeliveryLog(ctx, tx, in.ReceiverID); err != nil {
			return err
		}
		// By id alone, so that an event naming another organisation's
		// receiver is told from one whose receiver was deleted, and before
		// the log, so that it learns nothing of that receiver's deliveries.
		r, err := scanReceiver(tx.QueryRow(ctx, `SELECT `+receiverColumns+` FROM status.receivers
			WHERE id = $1`, in.ReceiverID))
		if err != nil {
			return err
		}
		if r.OrgID != in.OrgID {
			return fmt.Errorf("receiver %s is of organisation %s, not %s: %w", r.ID, r.OrgID, in.OrgID, domain.ErrForeignReceiver)
		}
		recorded, err := scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM status.deliveries WHERE id = $1`, in.DeliveryID))
		switch {
		case err == nil:
			res.Delivery, res.Duplicate = recorded, true
			return nil
		case !errors.Is(err, domain.ErrNotFound):
			return err
		}
		oldest, full, err := oldestKept(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if full && domain.Superseded(in, oldest) {
			res.Delivery, res.Superseded = domain.SupersededDelivery(in, r), true
			return nil
		}
		var svc *domain.Service
		if in.Result == domain.Processed {
			if svc, err = lockTarget(ctx, tx, r, in); err != nil {
				return err
			}
		}
		if svc != nil {
			// A receiver's deliveries can be applied out of the order they
			// were received: two status replicas pull them in parallel, or
			// one waits for a retry while a later one goes through. A report
			// older than the one already applied for the service must not
			// undo it; it is logged as ignored instead. Nor is the applied
			// one applied again when its log entry has been pruned.
			applied, ok, err := appliedDelivery(ctx, tx, r.ID, svc.ID)
			if err != nil {
				return err
			}
			if ok {
				switch applied.Order(in) {
				case domain.Repeated:
					res.Delivery, res.Duplicate = domain.RepeatedDelivery(in, r, applied), true
					return nil
				case domain.OutOfOrder:
					res.Delivery = domain.OutOfOrderDelivery(in, r, applied)
					return recordDelivery(ctx, tx, res.Delivery)
				}
			}
		}
		d, report := domain.PlanDelivery(in, r, svc, at)
		if report != nil {
			after, change, err := st.applyReport(ctx, tx, *svc, *report, event)
			if err != nil {
				return err
			}
			d.NewStatus, res.Change = after.Status, change
		}
		res.Delivery = d
		if err := recordDelivery(ctx, tx, d); err != nil || report == nil {
			return err
		}
		// Written after the log entry, whose insert has locked the
		// receiver's key: a deletion of the receiver cannot then hold the
		// receiver while it waits for this row.
		return recordApplied(ctx, tx, d)
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return res, fmt.Errorf("apply delivery %s: %w", in.DeliveryID, err)
	}
	return res, err
}

// lockTarget locks the service a delivery of r reports on; nil when there
// is none.
func lockTarget(ctx context.Context, tx pgx.Tx, r domain.Receiver, in domain.Ingest) (*domain.Service, error) {
	id, name := r.Target(in)
	var svc domain.Service
	var err error
	switch {
	case id != "":
		svc, err = lockService(ctx, tx, `org_id = $1 AND id = $2`, r.OrgID, id)
	case name != "":
		// Names are unique per organisation regardless of case
		// (services_org_name_key), so this finds at most one.
		svc, err = lockService(ctx, tx, `org_id = $1 AND lower(name) = lower($2)`, r.OrgID, name)
	default:
		return nil, nil
	}
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &svc, nil
}
