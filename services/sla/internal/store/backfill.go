package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BackfillState is how far the backfill from the status service's
// history went.
type BackfillState struct {
	// PageToken is the status service's page of services to fill next.
	PageToken string
	// Done is true once every service was filled.
	Done bool
}

// Backfill returns the backfill's progress; the zero state if it has not
// started.
func (st *Store) Backfill(ctx context.Context) (BackfillState, error) {
	var s BackfillState
	var done *time.Time
	err := st.pool.QueryRow(ctx, `SELECT page_token, done_at FROM sla.backfill`).Scan(&s.PageToken, &done)
	if errors.Is(err, pgx.ErrNoRows) {
		return BackfillState{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read backfill progress: %w", err)
	}
	s.Done = done != nil
	return s, nil
}

// SaveBackfill records the backfill's progress; done marks it finished at.
func (st *Store) SaveBackfill(ctx context.Context, pageToken string, done *time.Time) error {
	if _, err := st.pool.Exec(ctx, `INSERT INTO sla.backfill (page_token, done_at) VALUES ($1, $2)
		ON CONFLICT (singleton) DO UPDATE SET page_token = EXCLUDED.page_token, done_at = EXCLUDED.done_at`, pageToken, done); err != nil {
		return fmt.Errorf("save backfill progress: %w", err)
	}
	return nil
}
