// Package audit holds the rules of the edge's audit log: what each write
// route is called in it (an action on an object), and what of an object
// may be written there (never a secret). It does no I/O.
package audit

import (
	"encoding/json"
	"time"
)

// Outcome says whether the change an entry records was applied.
type Outcome string

// The outcomes an entry can have. A change that was refused (any 4xx) has
// no entry.
const (
	// Succeeded: the owning service applied the change.
	Succeeded Outcome = "succeeded"
	// Unknown: the change was attempted but the edge could not learn
	// whether it was applied (a backing service failed or timed out, or
	// the edge stopped while waiting).
	Unknown Outcome = "unknown"
)

// Entry is one change in an organisation's audit log.
type Entry struct {
	// ID is "aud_…", made when the change was attempted; ids sort by time.
	ID           string
	OrgID        string
	ActorKeyID   string
	ActorKeyName string
	// Action is "<object type>.<verb>", e.g. "service.update".
	Action     string
	ObjectType string
	// ObjectID is empty while a creation has no answer yet.
	ObjectID string
	// Before and After are the object as the API shows it, secrets
	// removed (Redact); nil when there is none.
	Before json.RawMessage
	After  json.RawMessage
	// Outcome is empty while the change is in flight (an intent).
	Outcome Outcome
	// Status is the HTTP status answered; 0 when none was.
	Status    int
	Method    string
	Path      string
	SourceIP  string
	RequestID string
	At        time.Time
}

// Filter narrows a listing of the audit log; zero fields match all.
type Filter struct {
	ActorKeyID string
	ObjectType string
	ObjectID   string
	Action     string
	// Since and Until bound the time of the change: Since <= at < Until.
	Since, Until time.Time
}
