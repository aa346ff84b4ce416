// Package channelstore keeps channels, the notifications of the delivery
// queue and their attempts in Postgres (schema notification).
package channelstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
)

// Store reads and writes the channel tables.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrNameTaken is a channel name already used in the organisation.
var ErrNameTaken = errors.New("a channel with this name exists")

// configDoc is a channel's config as the config column keeps it.
type configDoc struct {
	URL        string `json:"url,omitempty"`
	Secret     string `json:"secret,omitempty"`
	To         string `json:"to,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	BaseURL    string `json:"base_url,omitempty"`
}

const channelColumns = `id, org_id, name, type, config, template, created_at, updated_at`

func scanChannel(row pgx.Row) (channel.Channel, error) {
	var c channel.Channel
	var cfg configDoc
	err := row.Scan(&c.ID, &c.OrgID, &c.Name, &c.Type, &cfg, &c.Template, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, channel.ErrNotFound
	}
	c.Config = channel.Config(cfg)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

func nameTaken(err error) error {
	if pgdb.IsCode(err, "23505") {
		return ErrNameTaken
	}
	return err
}

// CreateChannel stores c.
func (st *Store) CreateChannel(ctx context.Context, c channel.Channel) error {
	_, err := st.pool.Exec(ctx, `INSERT INTO notification.channels (`+channelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.OrgID, c.Name, c.Type, configDoc(c.Config), c.Template, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create channel: %w", nameTaken(err))
	}
	return nil
}

// GetChannel returns the organisation's channel id.
func (st *Store) GetChannel(ctx context.Context, orgID, id string) (channel.Channel, error) {
	c, err := scanChannel(st.pool.QueryRow(ctx, `SELECT `+channelColumns+` FROM notification.channels WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, channel.ErrNotFound) {
		return c, fmt.Errorf("get channel %s: %w", id, err)
	}
	return c, err
}

// ListChannels returns up to limit channels with ids below beforeID (all
// when empty), newest first.
func (st *Store) ListChannels(ctx context.Context, orgID, beforeID string, limit int) ([]channel.Channel, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+channelColumns+` FROM notification.channels
		WHERE org_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (channel.Channel, error) { return scanChannel(r) })
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return out, nil
}

// UpdateChannel changes the organisation's channel id with change, which
// sees it locked, and stores what change leaves.
func (st *Store) UpdateChannel(ctx context.Context, orgID, id string, now time.Time, change func(*channel.Channel) error) (channel.Channel, error) {
	var c channel.Channel
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var err error
		c, err = scanChannel(tx.QueryRow(ctx, `SELECT `+channelColumns+` FROM notification.channels WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id))
		if err != nil {
			return err
		}
		if err := change(&c); err != nil {
			return err
		}
		c.UpdatedAt = now
		_, err = tx.Exec(ctx, `UPDATE notification.channels SET name = $3, config = $4, template = $5, updated_at = $6 WHERE org_id = $1 AND id = $2`,
			orgID, id, c.Name, configDoc(c.Config), c.Template, c.UpdatedAt)
		return nameTaken(err)
	})
	if err != nil {
		return c, fmt.Errorf("update channel %s: %w", id, err)
	}
	return c, nil
}

// DeleteChannel removes the organisation's channel id.
func (st *Store) DeleteChannel(ctx context.Context, orgID, id string) error {
	tag, err := st.pool.Exec(ctx, `DELETE FROM notification.channels WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return fmt.Errorf("delete channel %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return channel.ErrNotFound
	}
	return nil
}
