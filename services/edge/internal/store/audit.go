package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
	"github.com/upstatehq/upstate/services/edge/internal/events"
)

// OutboxTable is the edge's outbox (pkg/outbox).
const OutboxTable = "edge.outbox"

// BeginAudit commits the intent of a change before it is attempted: the
// entry without its outcome. Until FinishAudit or SweepAudit turns it
// into an entry, it is not listed.
func (s *Store) BeginAudit(ctx context.Context, e audit.Entry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO edge.audit_intents
		(id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, method, path, source_ip, request_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, e.OrgID, e.ActorKeyID, e.ActorKeyName, e.Action, e.ObjectType, e.ObjectID, jsonb(e.Before),
		e.Method, e.Path, e.SourceIP, e.RequestID, e.At)
	if err != nil {
		return fmt.Errorf("begin audit entry %s: %w", e.ID, err)
	}
	return nil
}

// FinishAudit turns the intent e.ID into the entry e (its outcome, status,
// object id and after set) and writes its event, in one transaction. It
// reports false when the intent is gone: swept as unknown meanwhile.
func (s *Store) FinishAudit(ctx context.Context, e audit.Entry) (bool, error) {
	ev, err := events.AuditRecorded(e)
	if err != nil {
		return false, err
	}
	found := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM edge.audit_intents WHERE id = $1`, e.ID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		found = true
		if _, err := tx.Exec(ctx, `INSERT INTO edge.audit_log
			(id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, after, outcome, status, method, path, source_ip, request_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			e.ID, e.OrgID, e.ActorKeyID, e.ActorKeyName, e.Action, e.ObjectType, e.ObjectID, jsonb(e.Before), jsonb(e.After),
			string(e.Outcome), e.Status, e.Method, e.Path, e.SourceIP, e.RequestID, e.At); err != nil {
			return err
		}
		return s.Outbox.Write(ctx, tx, ev)
	})
	if err != nil {
		return false, fmt.Errorf("finish audit entry %s: %w", e.ID, err)
	}
	return found, nil
}

// DropAudit forgets the intent of a change that was refused.
func (s *Store) DropAudit(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM edge.audit_intents WHERE id = $1`, id); err != nil {
		return fmt.Errorf("drop audit intent %s: %w", id, err)
	}
	return nil
}

const entryColumns = `id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, after, outcome, status, method, path, source_ip, request_id, created_at`

// SweepAudit turns the intents begun before olderThan, whose edge never
// finished them, into entries with outcome unknown, with their events,
// and returns how many it recorded.
func (s *Store) SweepAudit(ctx context.Context, olderThan time.Time) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH moved AS (
				DELETE FROM edge.audit_intents WHERE created_at < $1 RETURNING *)
			INSERT INTO edge.audit_log
				(id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, after, outcome, status, method, path, source_ip, request_id, created_at)
			SELECT id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, NULL, 'unknown', 0, method, path, source_ip, request_id, created_at
			FROM moved ORDER BY id
			RETURNING `+entryColumns, olderThan)
		if err != nil {
			return err
		}
		entries, err := pgx.CollectRows(rows, scanEntry)
		if err != nil {
			return err
		}
		evs := make([]bus.Event, 0, len(entries))
		for _, e := range entries {
			ev, err := events.AuditRecorded(e)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		n = len(entries)
		return s.Outbox.Write(ctx, tx, evs...)
	})
	if err != nil {
		return 0, fmt.Errorf("sweep audit intents: %w", err)
	}
	return n, nil
}

// ListAudit returns up to limit entries of the organisation matching f,
// newest first, with ids before beforeID ("" for the newest).
func (s *Store) ListAudit(ctx context.Context, orgID string, f audit.Filter, beforeID string, limit int) ([]audit.Entry, error) {
	where := []string{"org_id = $1"}
	args := []any{orgID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if beforeID != "" {
		add("id < ?", beforeID)
	}
	if f.ActorKeyID != "" {
		add("actor_key_id = ?", f.ActorKeyID)
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		add("created_at < ?", f.Until)
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM edge.audit_log
		WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return entries, nil
}

func scanEntry(row pgx.CollectableRow) (audit.Entry, error) {
	var e audit.Entry
	var before, after []byte
	var outcome string
	err := row.Scan(&e.ID, &e.OrgID, &e.ActorKeyID, &e.ActorKeyName, &e.Action, &e.ObjectType, &e.ObjectID,
		&before, &after, &outcome, &e.Status, &e.Method, &e.Path, &e.SourceIP, &e.RequestID, &e.At)
	e.Before, e.After, e.Outcome = rawJSON(before), rawJSON(after), audit.Outcome(outcome)
	return e, err
}

// jsonb is a document for a jsonb column: SQL NULL for none.
func jsonb(doc json.RawMessage) any {
	if len(doc) == 0 {
		return nil
	}
	return string(doc)
}

func rawJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}
