// Package ratelimit limits deliveries per webhook token with a token bucket
// per key, held in memory: it adds no I/O to a request and contends only
// within one of many shards.
package ratelimit

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Key identifies what is limited: the SHA-256 of a webhook token, so the
// token itself is never held longer than the request.
type Key = [32]byte

// shardCount spreads keys over independently locked maps; a power of two.
const shardCount = 64

// Limiter hands out a token bucket per key. Buckets of keys that stay idle
// long enough to have refilled are forgotten when a shard grows past its
// share of the size bound, which loses nothing: a new bucket starts full.
type Limiter struct {
	limit    rate.Limit
	burst    int
	perShard int
	// refill is how long an idle bucket takes to fill up again.
	refill time.Duration
	shards [shardCount]shard
}

type shard struct {
	mu      sync.RWMutex
	buckets map[Key]*bucket
}

type bucket struct {
	lim *rate.Limiter
	// seen is the last use, in Unix nanoseconds.
	seen atomic.Int64
}

// New returns a limiter allowing perSecond deliveries a second per key with
// bursts of burst, remembering about maxKeys keys.
func New(perSecond float64, burst, maxKeys int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	if maxKeys < shardCount {
		maxKeys = shardCount
	}
	l := &Limiter{limit: rate.Limit(perSecond), burst: burst, perShard: maxKeys / shardCount}
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		l.refill = time.Duration(float64(burst) / perSecond * float64(time.Second))
	}
	for i := range l.shards {
		l.shards[i].buckets = make(map[Key]*bucket)
	}
	return l
}

// Allow takes one token from key's bucket. When the bucket is empty it
// returns false and how long the caller should wait before retrying.
func (l *Limiter) Allow(key Key, now time.Time) (ok bool, retryAfter time.Duration) {
	b := l.bucket(key, now)
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		// Give the token back: a refused request must not consume capacity.
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *Limiter) bucket(key Key, now time.Time) *bucket {
	// The key is a cryptographic hash, so any byte of it spreads evenly.
	s := &l.shards[key[0]%shardCount]
	s.mu.RLock()
	b, ok := s.buckets[key]
	s.mu.RUnlock()
	if !ok {
		s.mu.Lock()
		if b, ok = s.buckets[key]; !ok {
			if len(s.buckets) >= l.perShard {
				l.evict(s, now)
			}
			b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
			s.buckets[key] = b
		}
		s.mu.Unlock()
	}
	b.seen.Store(now.UnixNano())
	return b
}

// evict drops refilled buckets, and if none is, arbitrary ones, until the
// shard has room. Called with s.mu held.
func (l *Limiter) evict(s *shard, now time.Time) {
	idleSince := now.Add(-l.refill).UnixNano()
	for k, b := range s.buckets {
		if b.seen.Load() <= idleSince {
			delete(s.buckets, k)
		}
	}
	for k := range s.buckets {
		if len(s.buckets) < l.perShard {
			break
		}
		delete(s.buckets, k)
	}
}

// Len returns how many keys have a bucket.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.RLock()
		n += len(s.buckets)
		s.mu.RUnlock()
	}
	return n
}
