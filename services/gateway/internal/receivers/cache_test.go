package receivers

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

func k(s string) Key { return sha256.Sum256([]byte(s)) }

func TestCacheBoundedAndInvalidatedByOwner(t *testing.T) {
	t.Parallel()
	c := newCache[int](64)
	now := time.Unix(1000, 0)
	for i := range 1000 {
		c.put(k(strconv.Itoa(i)), entry[int]{value: i, owner: "whr_" + strconv.Itoa(i%10), stored: now, expires: now.Add(time.Minute)}, now, time.Hour, nil)
	}
	if n := c.len(); n > 64 {
		t.Fatalf("%d entries, want at most 64", n)
	}
	before := c.len()
	removed := c.deleteOwner("whr_3")
	if c.len() != before-removed {
		t.Fatalf("len %d after removing %d of %d", c.len(), removed, before)
	}
	for i := range c.shards {
		for _, e := range c.shards[i].entries {
			if e.owner == "whr_3" {
				t.Fatal("an entry of the invalidated receiver is left")
			}
		}
	}
}

func TestCacheEvictsTooOldBeforeLive(t *testing.T) {
	t.Parallel()
	c := newCache[string](shardCount) // one entry per shard
	now := time.Unix(1000, 0)
	old := k("old")
	c.put(old, entry[string]{value: "old", stored: now, expires: now.Add(time.Second)}, now, time.Minute, nil)
	var fresh Key
	for i := 0; ; i++ {
		if fresh = k(strconv.Itoa(i)); fresh[0]%shardCount == old[0]%shardCount {
			break
		}
	}
	later := now.Add(time.Hour)
	c.put(fresh, entry[string]{value: "fresh", stored: later, expires: later.Add(time.Second)}, later, time.Minute, nil)
	if _, ok := c.get(old); ok {
		t.Fatal("the entry past its maximum age survived")
	}
	if e, ok := c.get(fresh); !ok || e.value != "fresh" {
		t.Fatal("the new entry is missing")
	}
}

func TestCachePutChecksValidityUnderLock(t *testing.T) {
	t.Parallel()
	c := newCache[string](100)
	now := time.Now()
	if c.put(k("a"), entry[string]{value: "a", stored: now, expires: now.Add(time.Minute)}, now, time.Hour, func() bool { return false }) {
		t.Fatal("stored an entry that is no longer valid")
	}
	if _, ok := c.get(k("a")); ok {
		t.Fatal("invalid entry cached")
	}
	if !c.put(k("a"), entry[string]{value: "a", stored: now, expires: now.Add(time.Minute)}, now, time.Hour, func() bool { return true }) {
		t.Fatal("valid entry not stored")
	}
}
