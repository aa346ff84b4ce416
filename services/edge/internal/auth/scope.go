// Package auth holds the edge's access rules: API keys (how they look, how
// they are hashed) and scopes (what a key may do). It does no I/O.
package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Action is what a request does to a resource.
type Action int

// The actions a scope can allow.
const (
	Read Action = iota
	Write
)

// Scope grants access. "write" grants everything, "read" every read, a
// resource name ("services") reads and writes of that resource, and
// "<resource>:read" its reads.
type Scope string

// The catch-all scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
)

// Resources that scopes name; add new ones here as the API grows.
var Resources = []string{"services", "api_keys", "webhook_receivers", "incidents", "maintenances", "sla", "alerting", "status_pages", "oncall", "audit"}

// KnownScopes lists every valid scope, for validation and error messages.
func KnownScopes() []string {
	out := []string{string(ScopeRead), string(ScopeWrite)}
	for _, r := range Resources {
		out = append(out, r, r+":read")
	}
	return out
}

// ParseScopes validates scope names, dropping duplicates and sorting.
func ParseScopes(names []string) ([]Scope, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("at least one scope is required; valid scopes are %s", strings.Join(KnownScopes(), ", "))
	}
	known := KnownScopes()
	seen := map[string]bool{}
	var out []Scope
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("%q is not a scope; valid scopes are %s", n, strings.Join(known, ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, Scope(n))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Allows reports whether scopes permit action on resource.
func Allows(scopes []Scope, resource string, action Action) bool {
	for _, s := range scopes {
		switch {
		case s == ScopeWrite, s == Scope(resource):
			return true
		case action == Read && (s == ScopeRead || s == Scope(resource+":read")):
			return true
		}
	}
	return false
}

// Covers reports whether a key holding held may manage a key with
// requested: create it, see it listed, revoke it. Nobody hands out, or
// takes away, more than they have.
func Covers(held, requested []Scope) bool { return len(Missing(held, requested)) == 0 }

// Missing returns the scopes of requested that a key holding held does not
// cover, in their order.
func Missing(held, requested []Scope) []Scope {
	var out []Scope
	for _, r := range requested {
		if !covers(held, r) {
			out = append(out, r)
		}
	}
	return out
}

// Grantable returns the known scopes a key holding held covers: a key
// with only these scopes is one it may manage.
func Grantable(held []Scope) []Scope {
	var out []Scope
	for _, s := range KnownScopes() {
		if covers(held, Scope(s)) {
			out = append(out, Scope(s))
		}
	}
	return out
}

func covers(held []Scope, r Scope) bool {
	switch {
	case r == ScopeWrite:
		return slices.Contains(held, ScopeWrite)
	case r == ScopeRead:
		return slices.Contains(held, ScopeWrite) || slices.Contains(held, ScopeRead)
	}
	res, readOnly := strings.CutSuffix(string(r), ":read")
	action := Write
	if readOnly {
		action = Read
	}
	return Allows(held, res, action)
}
