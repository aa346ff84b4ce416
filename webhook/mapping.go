package webhook

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The upstate statuses a status word maps to.
const (
	StatusOperational = "operational"
	StatusDegraded    = "degraded"
	StatusDown        = "down"
	StatusMaintenance = "maintenance"
)

// validStatuses is the list of statuses for error messages.
const validStatuses = "operational, degraded, down, maintenance"

// Limits on a receiver's mapping, checked by Validate.
const (
	MaxMappingEntries  = 100
	MaxMappingKeyChars = 100 // Unicode characters of a key as written
)

// ErrInvalidMapping is wrapped by every Validate error.
var ErrInvalidMapping = errors.New("invalid status mapping")

// defaults maps the words senders commonly use to statuses. Keys are in
// normal form (see normalizeWord), so "Under Maintenance", "partial-outage"
// and " OK " match too.
//
//	word                  status        why
//	operational           operational
//	up                    operational
//	ok                    operational
//	healthy               operational
//	none                  operational   Statuspage indicator: no incident
//	resolved              operational   incident tools on recovery
//	degraded              degraded
//	degraded_performance  degraded      Statuspage component status
//	partial               degraded
//	partial_outage        degraded      Statuspage component status
//	warning               degraded
//	minor                 degraded      Statuspage indicator
//	down                  down
//	outage                down
//	major                 down          Statuspage indicator
//	major_outage          down          Statuspage component status
//	critical              down
//	error                 down
//	maintenance           maintenance
//	scheduled             maintenance   a scheduled maintenance has begun
//	under_maintenance     maintenance   Statuspage component status
var defaults = map[string]string{
	"operational":          StatusOperational,
	"up":                   StatusOperational,
	"ok":                   StatusOperational,
	"healthy":              StatusOperational,
	"none":                 StatusOperational,
	"resolved":             StatusOperational,
	"degraded":             StatusDegraded,
	"degraded_performance": StatusDegraded,
	"partial":              StatusDegraded,
	"partial_outage":       StatusDegraded,
	"warning":              StatusDegraded,
	"minor":                StatusDegraded,
	"down":                 StatusDown,
	"outage":               StatusDown,
	"major":                StatusDown,
	"major_outage":         StatusDown,
	"critical":             StatusDown,
	"error":                StatusDown,
	"maintenance":          StatusMaintenance,
	"scheduled":            StatusMaintenance,
	"under_maintenance":    StatusMaintenance,
}

// DefaultMapping returns a copy of the built-in words and their statuses,
// for documentation and the API.
func DefaultMapping() map[string]string {
	return maps.Clone(defaults)
}

// Mapping is a receiver's own words and the statuses they mean, e.g.
// {"crashed": "down", "ok": "degraded"}. Its entries override and extend
// the defaults. Keys match like the defaults do: case-insensitively, with
// surrounding spaces ignored and spaces, '-' and '_' alike. Values are
// status names in any case.
type Mapping map[string]string

// Validate reports the first bad entry, in key order: an empty or
// over-long key, a value that is not a status, or two keys that are the
// same word but map to different statuses. Errors wrap ErrInvalidMapping.
func (m Mapping) Validate() error {
	if len(m) > MaxMappingEntries {
		return fmt.Errorf("%w: %d entries, at most %d are allowed", ErrInvalidMapping, len(m), MaxMappingEntries)
	}
	seen := make(map[string]string, len(m)) // normal form → key
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch {
		case !utf8.ValidString(k):
			return fmt.Errorf("%w: key %q is not valid UTF-8", ErrInvalidMapping, k)
		case normalizeWord(k) == "":
			return fmt.Errorf("%w: key %q is empty", ErrInvalidMapping, k)
		case utf8.RuneCountInString(k) > MaxMappingKeyChars:
			return fmt.Errorf("%w: key %q is longer than %d characters", ErrInvalidMapping, k, MaxMappingKeyChars)
		}
		st, ok := parseStatus(m[k])
		if !ok {
			return fmt.Errorf("%w: key %q: %q is not a status; valid values are %s", ErrInvalidMapping, k, m[k], validStatuses)
		}
		w := normalizeWord(k)
		if prev, dup := seen[w]; dup {
			if prevSt, _ := parseStatus(m[prev]); prevSt != st {
				return fmt.Errorf("%w: keys %q and %q are the same word but map to %q and %q", ErrInvalidMapping, prev, k, prevSt, st)
			}
		}
		seen[w] = k
	}
	return nil
}

// Map returns the status raw means: the receiver's entries first, then the
// defaults. ok is false for an empty or unknown word, and for an entry
// whose value is not a status (which Validate rejects).
func (m Mapping) Map(raw string) (status string, ok bool) {
	w := normalizeWord(raw)
	if w == "" {
		return "", false
	}
	if v, found := m.lookup(w); found {
		return parseStatus(v)
	}
	status, ok = defaults[w]
	return status, ok
}

// lookup finds the entry for the normal-form word w. A key already in
// normal form wins; otherwise the smallest matching key does, so the
// answer never depends on map order even if Validate was skipped.
func (m Mapping) lookup(w string) (string, bool) {
	if v, ok := m[w]; ok {
		return v, true
	}
	var best, val string
	found := false
	for k, v := range m {
		if (!found || k < best) && normalizeWord(k) == w {
			best, val, found = k, v, true
		}
	}
	return val, found
}

// parseStatus accepts a status name in any case, with surrounding spaces.
func parseStatus(s string) (string, bool) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case StatusOperational, StatusDegraded, StatusDown, StatusMaintenance:
		return v, true
	default:
		return "", false
	}
}

// normalizeWord trims surrounding white space, lowers the case and turns
// every run of spaces, '-' and '_' into one '_', so "Under Maintenance",
// "under-maintenance" and "UNDER_MAINTENANCE" are the same word. Words
// already in that form are returned without allocating.
func normalizeWord(s string) string {
	s = strings.TrimSpace(s)
	if isNormalWord(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	if sep {
		b.WriteByte('_')
	}
	return b.String()
}

// isNormalWord reports whether s is lowercase ASCII letters and digits with
// single underscores, which normalizeWord would return unchanged.
func isNormalWord(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' && (i == 0 || s[i-1] != '_'):
		default:
			return false
		}
	}
	return true
}
