package ratelimit

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

func key(s string) Key { return sha256.Sum256([]byte(s)) }

func TestAllowBurstThenRefuseWithRetryAfter(t *testing.T) {
	t.Parallel()
	l := New(2, 3, 1000)
	now := time.Unix(1000, 0)
	k := key("a")
	for i := range 3 {
		if ok, _ := l.Allow(k, now); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow(k, now)
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v, want refused with ≤ 500ms", ok, wait)
	}
	// A refusal does not consume capacity: the token arrives on time.
	if ok, _ := l.Allow(k, now.Add(wait)); !ok {
		t.Fatal("refused after waiting as told")
	}
	if ok, _ := l.Allow(key("b"), now); !ok {
		t.Fatal("keys must not share a bucket")
	}
}

func TestSizeIsBounded(t *testing.T) {
	t.Parallel()
	l := New(1, 1, 128)
	now := time.Unix(1000, 0)
	for i := range 10_000 {
		l.Allow(key(strconv.Itoa(i)), now)
	}
	if n := l.Len(); n > 128 {
		t.Fatalf("%d buckets kept, want at most 128", n)
	}
}

func TestIdleBucketsAreEvictedFirst(t *testing.T) {
	t.Parallel()
	l := New(1, 1, shardCount) // one bucket per shard
	now := time.Unix(1000, 0)
	busy := key("busy")
	l.Allow(busy, now)
	// Another key of the same shard, long after busy's bucket refilled.
	var other Key
	for i := 0; ; i++ {
		if other = key(strconv.Itoa(i)); other[0]%shardCount == busy[0]%shardCount && other != busy {
			break
		}
	}
	if ok, _ := l.Allow(other, now.Add(time.Hour)); !ok {
		t.Fatal("new key refused")
	}
	if l.Len() != 1 {
		t.Fatalf("%d buckets, want the idle one replaced", l.Len())
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(1e9, 1e9, 100_000)
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = key(strconv.Itoa(i))
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)], time.Now())
			i++
		}
	})
}
