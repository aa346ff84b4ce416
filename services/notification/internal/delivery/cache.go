package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/services/notification/internal/channel"
)

// channelTTL is how long a channel read is used for the deliveries to it:
// a burst to one channel costs one read, and a change of the channel is
// seen within this time.
const channelTTL = 2 * time.Second

// maxCached bounds the channels kept.
const maxCached = 10_000

// channelCache keeps channels read recently. A channel not found is not
// kept: its notifications are given up once.
type channelCache struct {
	get   func(ctx context.Context, orgID, id string) (channel.Channel, error)
	clock clockwork.Clock

	mu sync.Mutex
	m  map[string]cachedChannel
}

type cachedChannel struct {
	ch channel.Channel
	at time.Time
}

func (c *channelCache) channel(ctx context.Context, orgID, id string) (channel.Channel, error) {
	key := orgID + "/" + id
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < channelTTL {
		return e.ch, nil
	}
	ch, err := c.get(ctx, orgID, id)
	if err != nil {
		return ch, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[key] = cachedChannel{ch: ch, at: now}
	c.mu.Unlock()
	return ch, nil
}
