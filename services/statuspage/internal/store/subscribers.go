package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// NewSubscriber is a subscription as it is stored: the secrets it is
// given are made by the caller.
type NewSubscriber struct {
	domain.Subscriber
	// Secret signs a webhook subscriber's deliveries.
	Secret string
	// ConfirmToken is the email confirmation link's token ("" for webhooks,
	// confirmed at once).
	ConfirmToken     string
	UnsubscribeToken string
}

// CreateSubscriber stores a subscriber of the page, with an id.
func (st *Store) CreateSubscriber(ctx context.Context, s NewSubscriber) (domain.Subscriber, error) {
	s.ID = ids.New(SubscriberPrefix)
	var confirmed *time.Time
	if s.ConfirmToken == "" {
		t := utc(s.CreatedAt)
		confirmed = &t
	}
	_, err := st.pool.Exec(ctx, `INSERT INTO statuspage.subscribers
		(id, page_id, kind, email, url, secret, component_ids, confirm_token, confirmed_at, unsubscribe_token, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), $9, $10, $11)`,
		s.ID, s.PageID, s.Kind, s.Email, s.URL, s.Secret, nonNil(s.ComponentIDs), s.ConfirmToken, confirmed, s.UnsubscribeToken, utc(s.CreatedAt))
	if err != nil {
		return domain.Subscriber{}, fmt.Errorf("create subscriber: %w", err)
	}
	s.ConfirmedAt = confirmed
	return s.Subscriber, nil
}

// ConfirmSubscriber confirms the subscriber with the token.
func (st *Store) ConfirmSubscriber(ctx context.Context, pageID, token string, now time.Time) error {
	tag, err := st.pool.Exec(ctx, `UPDATE statuspage.subscribers SET confirmed_at = coalesce(confirmed_at, $3)
		WHERE page_id = $1 AND confirm_token = $2`, pageID, token, utc(now))
	if err != nil {
		return fmt.Errorf("confirm subscriber: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Unsubscribe removes the subscriber with the token.
func (st *Store) Unsubscribe(ctx context.Context, pageID, token string) error {
	tag, err := st.pool.Exec(ctx, `DELETE FROM statuspage.subscribers WHERE page_id = $1 AND unsubscribe_token = $2`, pageID, token)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

const subscriberColumns = `id, page_id, kind, email, url, component_ids, confirmed_at, created_at`

func scanSubscriber(r pgx.Row) (domain.Subscriber, error) {
	var s domain.Subscriber
	err := r.Scan(&s.ID, &s.PageID, &s.Kind, &s.Email, &s.URL, &s.ComponentIDs, &s.ConfirmedAt, &s.CreatedAt)
	return s, err
}

// ListSubscribers returns up to limit of the organisation's page's
// subscribers after the id after.
func (st *Store) ListSubscribers(ctx context.Context, orgID, pageID, after string, limit int) ([]domain.Subscriber, error) {
	if _, err := getPage(ctx, st.pool, orgID, pageID, false); err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	rows, err := st.pool.Query(ctx, `SELECT `+subscriberColumns+` FROM statuspage.subscribers
		WHERE page_id = $1 AND id > $2 ORDER BY id LIMIT $3`, pageID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Subscriber, error) { return scanSubscriber(r) })
}

// DeleteSubscriber removes a subscriber of the organisation's page.
func (st *Store) DeleteSubscriber(ctx context.Context, orgID, pageID, id string) error {
	tag, err := st.pool.Exec(ctx, `DELETE FROM statuspage.subscribers s USING statuspage.pages p
		WHERE s.id = $3 AND s.page_id = $2 AND p.id = s.page_id AND p.org_id = $1`, orgID, pageID, id)
	if err != nil {
		return fmt.Errorf("delete subscriber %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Delivery is a message to one subscriber, claimed for sending.
type Delivery struct {
	ID               int64
	Kind, Ref        string
	RefVersion       int64
	Body             []byte
	Attempts         int
	SubscriberID     string
	PageID           string
	SubscriberKind   string
	Email            string
	URL              string
	Secret           string
	UnsubscribeToken string
}

// ClaimDeliveries claims up to limit deliveries due at now for lease:
// another replica does not take them before it ends.
func (st *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	rows, err := st.pool.Query(ctx, `UPDATE statuspage.deliveries d SET next_at = $2, attempts = d.attempts + 1
		FROM statuspage.subscribers s
		WHERE s.id = d.subscriber_id AND d.id IN (
			SELECT id FROM statuspage.deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1
			ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING d.id, d.kind, d.ref, d.ref_version, d.body, d.attempts, s.id, s.page_id, s.kind, s.email, s.url, s.secret, s.unsubscribe_token`,
		utc(now), utc(now.Add(lease)), limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.ID, &d.Kind, &d.Ref, &d.RefVersion, &d.Body, &d.Attempts, &d.SubscriberID, &d.PageID, &d.SubscriberKind, &d.Email, &d.URL, &d.Secret, &d.UnsubscribeToken)
		return d, err
	})
}

// Release gives back claimed deliveries not attempted, due at now.
func (st *Store) Release(ctx context.Context, ids []int64, now time.Time) error {
	_, err := st.pool.Exec(ctx, `UPDATE statuspage.deliveries SET next_at = $2, attempts = attempts - 1
		WHERE id = ANY ($1) AND delivered_at IS NULL AND failed_at IS NULL`, ids, utc(now))
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	return nil
}

// SetBody keeps the body made at a delivery's first attempt.
func (st *Store) SetBody(ctx context.Context, id int64, body []byte) error {
	_, err := st.pool.Exec(ctx, `UPDATE statuspage.deliveries SET body = $2 WHERE id = $1 AND body IS NULL`, id, body)
	if err != nil {
		return fmt.Errorf("keep body of delivery %d: %w", id, err)
	}
	return nil
}

// Delivered records a delivery's success.
func (st *Store) Delivered(ctx context.Context, id int64, now time.Time) error {
	_, err := st.pool.Exec(ctx, `UPDATE statuspage.deliveries SET delivered_at = $2, last_error = '' WHERE id = $1`, id, utc(now))
	if err != nil {
		return fmt.Errorf("record delivery %d: %w", id, err)
	}
	return nil
}

// Retry records a failed attempt: the delivery is tried again at next,
// or, with next nil, given up.
func (st *Store) Retry(ctx context.Context, id int64, reason string, now time.Time, next *time.Time) error {
	var err error
	if next == nil {
		_, err = st.pool.Exec(ctx, `UPDATE statuspage.deliveries SET failed_at = $2, last_error = $3 WHERE id = $1`, id, utc(now), reason)
	} else {
		_, err = st.pool.Exec(ctx, `UPDATE statuspage.deliveries SET next_at = $2, last_error = $3 WHERE id = $1`, id, utc(*next), reason)
	}
	if err != nil {
		return fmt.Errorf("record failed delivery %d: %w", id, err)
	}
	return nil
}
