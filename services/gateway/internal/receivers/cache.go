package receivers

import (
	"sync"
	"time"
)

// Key is the SHA-256 of a token: the cache never holds tokens themselves.
type Key = [32]byte

// shardCount spreads entries over independently locked maps.
const shardCount = 32

// cache maps token hashes to what ResolveReceiver said about them: a
// receiver, or (a negative entry) that the token is unknown. Entries stay
// after they expire, until they are older than maxAge, so that a receiver
// can still be served while the status service is unreachable. Reads take
// a shard's read lock only.
type cache[V any] struct {
	perShard int
	shards   [shardCount]cacheShard[V]
}

type cacheShard[V any] struct {
	mu      sync.RWMutex
	entries map[Key]entry[V]
}

type entry[V any] struct {
	value V
	// negative entries record an unknown token; value is the zero V.
	negative bool
	// owner is the receiver id the entry belongs to, for invalidation.
	owner   string
	stored  time.Time
	expires time.Time
}

func newCache[V any](maxEntries int) *cache[V] {
	if maxEntries < shardCount {
		maxEntries = shardCount
	}
	c := &cache[V]{perShard: maxEntries / shardCount}
	for i := range c.shards {
		c.shards[i].entries = make(map[Key]entry[V])
	}
	return c
}

func (c *cache[V]) shard(k Key) *cacheShard[V] { return &c.shards[k[0]%shardCount] }

// get returns the entry of k, expired or not.
func (c *cache[V]) get(k Key) (entry[V], bool) {
	s := c.shard(k)
	s.mu.RLock()
	e, ok := s.entries[k]
	s.mu.RUnlock()
	return e, ok
}

// put stores e under k, making room first when the shard is full: entries
// older than maxAge go, then expired ones, then arbitrary ones. When valid
// is set, e is stored only if valid reports true under the shard's lock,
// so a deleteOwner that starts after valid turned false (and takes that
// lock) cannot miss e. put reports whether it stored e.
func (c *cache[V]) put(k Key, e entry[V], now time.Time, maxAge time.Duration, valid func() bool) bool {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if valid != nil && !valid() {
		return false
	}
	if _, ok := s.entries[k]; !ok && len(s.entries) >= c.perShard {
		c.evict(s, now, maxAge)
	}
	s.entries[k] = e
	return true
}

func (c *cache[V]) evict(s *cacheShard[V], now time.Time, maxAge time.Duration) {
	for k, e := range s.entries {
		if now.Sub(e.stored) > maxAge {
			delete(s.entries, k)
		}
	}
	if len(s.entries) < c.perShard {
		return
	}
	for k, e := range s.entries {
		if now.After(e.expires) {
			delete(s.entries, k)
		}
	}
	for k := range s.entries {
		if len(s.entries) < c.perShard {
			return
		}
		delete(s.entries, k)
	}
}

// deleteOwner drops every entry of a receiver. Receivers change rarely and
// the cache is small, so a scan is cheaper than keeping an index up to date
// on every insert.
func (c *cache[V]) deleteOwner(owner string) int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.entries {
			if e.owner == owner {
				delete(s.entries, k)
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// len counts the entries.
func (c *cache[V]) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
