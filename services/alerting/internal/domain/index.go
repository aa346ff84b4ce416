package domain

import (
	"slices"

	"github.com/upstatehq/upstate/pkg/selector"
)

// Index finds the rules that select a service without looking at the
// others: rules are filed under what their selector names (every service,
// a service id, or one of their tag pairs), and a service looks only in
// the files its id and tags open. What an event costs grows with the
// rules that may select its service, not with the organisation's rules.
type Index struct {
	all       []*Rule
	byService map[string][]*Rule
	// byTag files a tag selector under its smallest pair; a service
	// carrying that pair is checked against its other pairs.
	byTag map[tagPair][]*Rule
}

type tagPair struct{ key, value string }

// NewIndex indexes rules.
func NewIndex(rules []Rule) *Index {
	ix := &Index{byService: map[string][]*Rule{}, byTag: map[tagPair][]*Rule{}}
	for i := range rules {
		ix.add(&rules[i])
	}
	return ix
}

func (ix *Index) add(r *Rule) {
	s := r.Spec.Selector
	switch {
	case s.All:
		ix.all = append(ix.all, r)
	case len(s.ServiceIDs) > 0:
		for _, id := range s.ServiceIDs {
			ix.byService[id] = append(ix.byService[id], r)
		}
	case len(s.Tags) > 0:
		k := slices.Min(slices.Collect(func(yield func(string) bool) {
			for k := range s.Tags {
				if !yield(k) {
					return
				}
			}
		}))
		p := tagPair{k, s.Tags[k]}
		ix.byTag[p] = append(ix.byTag[p], r)
	}
}

// Match returns the rules selecting the service with id and tags, each
// once, in no particular order.
func (ix *Index) Match(serviceID string, tags map[string]string) []*Rule {
	out := make([]*Rule, 0, len(ix.all)+len(ix.byService[serviceID]))
	out = append(out, ix.all...)
	out = append(out, ix.byService[serviceID]...)
	for k, v := range tags {
		for _, r := range ix.byTag[tagPair{k, v}] {
			if selector.HasTags(tags, r.Spec.Selector.Tags) {
				out = append(out, r)
			}
		}
	}
	return out
}
