package public

import (
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
)

// rendered is a document's bytes, ready to send.
type rendered struct {
	body        []byte
	etag        string
	contentType string
}

func newRendered(body []byte, contentType string) rendered {
	sum := sha256.Sum256(body)
	return rendered{body: body, contentType: contentType, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

// entry is what one page's current revision has rendered so far.
type entry struct {
	revision int64
	base     string
	built    time.Time
	view     compat.View
	docs     map[string]rendered
}

// cache keeps the rendered documents of each page's newest revision, so
// that a view costs one indexed lookup of the revision until the page
// changes. Entries also expire after maxAge, because some of what a page
// shows is relative to now (the last 14 days, the date of the bars).
type cache struct {
	mu      sync.Mutex
	maxAge  time.Duration
	entries map[string]*entry
}

func newCache(maxAge time.Duration) *cache {
	return &cache{maxAge: maxAge, entries: map[string]*entry{}}
}

// doc returns a document of the page's revision at base if it was
// rendered.
func (c *cache) doc(pageID string, revision int64, base, name string, now time.Time) (rendered, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[pageID]
	if e == nil || e.revision != revision || e.base != base || now.Sub(e.built) > c.maxAge {
		return rendered{}, false
	}
	r, ok := e.docs[name]
	return r, ok
}

// view returns the page's view of the revision, if loaded.
func (c *cache) view(pageID string, revision int64, base string, now time.Time) (compat.View, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[pageID]
	if e == nil || e.revision != revision || e.base != base || now.Sub(e.built) > c.maxAge {
		return compat.View{}, false
	}
	return e.view, true
}

// putView keeps the view of a page's revision, replacing an older
// revision's entry and what it rendered.
func (c *cache) putView(pageID string, revision int64, base string, built time.Time, v compat.View) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[pageID]; e != nil && e.revision > revision {
		return
	}
	c.entries[pageID] = &entry{revision: revision, base: base, built: built, view: v, docs: map[string]rendered{}}
}

// put keeps a document rendered from the view of the page's revision,
// if that view is still the one kept.
func (c *cache) put(pageID string, revision int64, base string, name string, r rendered) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[pageID]; e != nil && e.revision == revision && e.base == base {
		e.docs[name] = r
	}
}
