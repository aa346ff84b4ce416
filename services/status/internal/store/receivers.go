package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

const receiverColumns = `id, org_id, name, enabled, COALESCE(service_id, ''), service_name_field,
	status_field, message_field, status_mapping, signature_secret, signature_header, signature_scheme,
	auto_incident_enabled, auto_incident_severity, token_hash, token_prefix, created_at, updated_at`

func scanReceiver(row pgx.Row) (domain.Receiver, error) {
	var r domain.Receiver
	var secret, header, scheme *string
	var severity string
	err := row.Scan(&r.ID, &r.OrgID, &r.Name, &r.Enabled, &r.ServiceID, &r.ServiceNameField,
		&r.StatusField, &r.MessageField, &r.StatusMapping, &secret, &header, &scheme,
		&r.AutoIncident.Enabled, &severity, &r.TokenHash, &r.TokenPrefix, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.ErrNotFound
	}
	if secret != nil {
		r.Signature = &domain.Signature{Secret: *secret, Header: deref(header), Scheme: deref(scheme)}
	}
	if r.StatusMapping == nil {
		r.StatusMapping = map[string]string{}
	}
	r.AutoIncident.Severity = domain.Severity(severity)
	return r, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// receiverArgs are the stored settings of r, in receiverColumns order from
// service_id to auto_incident_severity.
func receiverArgs(r domain.Receiver) []any {
	var secret, header, scheme *string
	if r.Signature != nil {
		secret, header, scheme = &r.Signature.Secret, &r.Signature.Header, &r.Signature.Scheme
	}
	var serviceID *string
	if r.ServiceID != "" {
		serviceID = &r.ServiceID
	}
	mapping := r.StatusMapping
	if mapping == nil {
		// A nil map would be stored as JSON null.
		mapping = map[string]string{}
	}
	return []any{serviceID, r.ServiceNameField, r.StatusField, r.MessageField, mapping,
		secret, header, scheme, r.AutoIncident.Enabled, string(r.AutoIncident.Severity)}
}

// checkService makes sure the receiver's fixed service, if any, is one of
// its organisation's, and keeps it from being deleted until tx ends.
func checkService(ctx context.Context, tx pgx.Tx, r domain.Receiver) error {
	if r.ServiceID == "" {
		return nil
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM status.services WHERE org_id = $1 AND id = $2 FOR KEY SHARE`,
		r.OrgID, r.ServiceID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.UnknownService(r.ServiceID)
	}
	return err
}

// CreateReceiver inserts r. A service_id that is not a service of r's
// organisation is a validation error on service_id.
func (st *Store) CreateReceiver(ctx context.Context, r domain.Receiver) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if err := checkService(ctx, tx, r); err != nil {
			return err
		}
		args := append([]any{r.ID, r.OrgID, r.Name, r.Enabled}, receiverArgs(r)...)
		args = append(args, r.TokenHash, r.TokenPrefix, r.CreatedAt, r.UpdatedAt)
		_, err := tx.Exec(ctx, `INSERT INTO status.receivers (id, org_id, name, enabled, service_id,
			service_name_field, status_field, message_field, status_mapping, signature_secret,
			signature_header, signature_scheme, auto_incident_enabled, auto_incident_severity,
			token_hash, token_prefix, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`, args...)
		return err
	})
	return receiverErr("create receiver", r.ID, err)
}

// GetReceiver returns the organisation's receiver id.
func (st *Store) GetReceiver(ctx context.Context, orgID, id string) (domain.Receiver, error) {
	r, err := scanReceiver(st.pool.QueryRow(ctx,
		`SELECT `+receiverColumns+` FROM status.receivers WHERE org_id = $1 AND id = $2`, orgID, id))
	return r, receiverErr("get receiver", id, err)
}

// ListReceivers returns up to limit receivers with ids after afterID, in id
// (creation) order.
func (st *Store) ListReceivers(ctx context.Context, orgID, afterID string, limit int) ([]domain.Receiver, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+receiverColumns+` FROM status.receivers
		WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list receivers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Receiver, error) { return scanReceiver(r) })
	if err != nil {
		return nil, fmt.Errorf("list receivers: %w", err)
	}
	return out, nil
}

// UpdateReceiver changes the organisation's receiver id in one
// transaction: it locks the row, passes the receiver to update and stores
// what update returns (settings and updated_at; not the id, organisation or
// token). An error from update is returned as it is.
func (st *Store) UpdateReceiver(ctx context.Context, orgID, id string, update func(domain.Receiver) (domain.Receiver, error)) (domain.Receiver, error) {
	var out domain.Receiver
	// Deleting the receiver's service at the same time locks the two rows
	// in the other order (service, then the receivers cascading from it);
	// Postgres aborts one of the two, which is retried.
	err := pgdb.Retry(ctx, func() error {
		return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			// NO KEY UPDATE, not UPDATE: an ingest holding its service's row
			// lock records deliveries, whose foreign key shares this row's key;
			// with FOR UPDATE here, and checkService below waiting for that
			// service, the two would deadlock.
			cur, err := scanReceiver(tx.QueryRow(ctx, `SELECT `+receiverColumns+` FROM status.receivers
			WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE`, orgID, id))
			if err != nil {
				return err
			}
			next, err := update(cur)
			if err != nil {
				return err
			}
			next.ID, next.OrgID, next.TokenHash, next.TokenPrefix, next.CreatedAt = cur.ID, cur.OrgID, cur.TokenHash, cur.TokenPrefix, cur.CreatedAt
			if err := checkService(ctx, tx, next); err != nil {
				return err
			}
			args := append([]any{id, next.Name, next.Enabled}, receiverArgs(next)...)
			args = append(args, next.UpdatedAt)
			if _, err := tx.Exec(ctx, `UPDATE status.receivers SET name = $2, enabled = $3, service_id = $4,
			service_name_field = $5, status_field = $6, message_field = $7, status_mapping = $8,
			signature_secret = $9, signature_header = $10, signature_scheme = $11,
			auto_incident_enabled = $12, auto_incident_severity = $13, updated_at = $14
			WHERE id = $1`, args...); err != nil {
				return err
			}
			out = next
			return nil
		})
	})
	return out, receiverErr("update receiver", id, err)
}

// DeleteReceiver removes a receiver and its delivery log.
func (st *Store) DeleteReceiver(ctx context.Context, orgID, id string) error {
	tag, err := st.pool.Exec(ctx, `DELETE FROM status.receivers WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return fmt.Errorf("delete receiver %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// RotateToken replaces the receiver's token hash and prefix; the old token
// stops resolving when the transaction commits.
func (st *Store) RotateToken(ctx context.Context, orgID, id string, hash []byte, prefix string, at time.Time) (domain.Receiver, error) {
	r, err := scanReceiver(st.pool.QueryRow(ctx, `UPDATE status.receivers
		SET token_hash = $3, token_prefix = $4, updated_at = $5
		WHERE org_id = $1 AND id = $2 RETURNING `+receiverColumns, orgID, id, hash, prefix, at))
	return r, receiverErr("rotate token of receiver", id, err)
}

// ResolveReceiver returns the receiver whose token has the given hash.
func (st *Store) ResolveReceiver(ctx context.Context, tokenHash []byte) (domain.Receiver, error) {
	r, err := scanReceiver(st.pool.QueryRow(ctx,
		`SELECT `+receiverColumns+` FROM status.receivers WHERE token_hash = $1`, tokenHash))
	return r, receiverErr("resolve receiver", "by token", err)
}

// receiverErr adds context to unexpected errors and leaves the domain's as
// they are.
func receiverErr(op, id string, err error) error {
	var verr *domain.ValidationError
	if err == nil || errors.Is(err, domain.ErrNotFound) || errors.As(err, &verr) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, id, err)
}
