package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/oncall"
)

// overrideMargin is how far around a range overrides are loaded: the
// iCal export looks up to 31 days beyond its window for the true ends of
// the shifts that cross it.
const overrideMargin = 32 * 24 * time.Hour

// Rotation returns the organisation's schedule id and, as the on-call
// arithmetic reads it, the schedule with the overrides that overlap
// [from, to) widened by a month each side.
func (st *Store) Rotation(ctx context.Context, orgID, id string, from, to time.Time) (domain.Schedule, oncall.Schedule, error) {
	s, err := st.GetSchedule(ctx, orgID, id)
	if err != nil {
		return s, oncall.Schedule{}, err
	}
	ovs, err := st.overrides(ctx, st.pool, id, from.Add(-overrideMargin), to.Add(overrideMargin))
	if err != nil {
		return s, oncall.Schedule{}, err
	}
	rot, err := s.Spec.Rotation(ovs)
	if err != nil {
		return s, rot, fmt.Errorf("schedule %s as stored: %w", id, err)
	}
	return s, rot, nil
}

// Recipient is a user a target reaches, with their personal channels.
type Recipient struct {
	UserID     string
	ChannelIDs []string
}

// Resolution is whom targets reach at an instant.
type Resolution struct {
	// Recipients are the users reached, each once, in the targets' order.
	Recipients []Recipient
	// ChannelIDs are every channel to notify, each once: the users'
	// channels, then the channels targeted directly.
	ChannelIDs []string
	// ByTarget is who each target reaches, in the order of the targets:
	// user ids for a schedule or a user, the channel id for a channel.
	ByTarget [][]string
}

// Resolve returns whom targets reach at the instant at: whoever is on
// call in a schedule then, a user themselves, a channel itself. A user
// or schedule deleted since is skipped; a schedule with nobody on call
// reaches nobody.
func (st *Store) Resolve(ctx context.Context, orgID string, targets []escalation.Target, at time.Time) (Resolution, error) {
	res := Resolution{ByTarget: make([][]string, len(targets))}
	var userIDs, direct []string
	for i, t := range targets {
		switch {
		case t.ChannelID != "":
			res.ByTarget[i] = []string{t.ChannelID}
			direct = appendNew(direct, t.ChannelID)
		case t.UserID != "":
			res.ByTarget[i] = []string{t.UserID}
		case t.ScheduleID != "":
			_, rot, err := st.Rotation(ctx, orgID, t.ScheduleID, at, at.Add(time.Nanosecond))
			if isDomain(err) {
				continue // deleted since the policy named it
			}
			if err != nil {
				return res, err
			}
			res.ByTarget[i] = rot.OnCall(at)
		}
		for _, u := range res.ByTarget[i] {
			if t.ChannelID == "" {
				userIDs = appendNew(userIDs, u)
			}
		}
	}
	users, err := st.usersByID(ctx, orgID, userIDs)
	if err != nil {
		return res, err
	}
	for i, ids := range res.ByTarget {
		if targets[i].ChannelID != "" {
			continue
		}
		res.ByTarget[i] = slices.DeleteFunc(ids, func(id string) bool { _, ok := users[id]; return !ok })
	}
	for _, id := range userIDs {
		u, ok := users[id]
		if !ok {
			continue
		}
		res.Recipients = append(res.Recipients, Recipient{UserID: id, ChannelIDs: u.Spec.ChannelIDs})
		for _, c := range u.Spec.ChannelIDs {
			res.ChannelIDs = appendNew(res.ChannelIDs, c)
		}
	}
	for _, c := range direct {
		res.ChannelIDs = appendNew(res.ChannelIDs, c)
	}
	return res, nil
}

// usersByID returns the organisation's users among ids, by id.
func (st *Store) usersByID(ctx context.Context, orgID string, ids []string) (map[string]domain.User, error) {
	out := make(map[string]domain.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := st.pool.Query(ctx, `SELECT `+userColumns+` FROM notification.users WHERE org_id = $1 AND id = ANY($2)`, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	for _, u := range list {
		out[u.ID] = u
	}
	return out, nil
}

// UserNames returns the names of the organisation's users among ids, by
// id, for calendars.
func (st *Store) UserNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	users, err := st.usersByID(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(users))
	for id, u := range users {
		out[id] = u.Spec.Name
	}
	return out, nil
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
