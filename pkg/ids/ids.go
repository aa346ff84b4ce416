// Package ids makes the prefixed, time-sortable identifiers used across
// upstate ("svc_01JD…"): a type prefix for humans and a ULID so that ids
// sort by creation time, which keyset pagination relies on.
package ids

import (
	"strings"

	"github.com/oklog/ulid/v2"
)

// Prefixes of the identifiers upstate hands out.
const (
	Org         = "org"
	Service     = "svc"
	APIKey      = "key"
	Receiver    = "whr"
	Delivery    = "dlv"
	Incident    = "inc"
	Maintenance = "mnt"
	SLO         = "slo"
	Event       = "evt"
	Rule        = "rul"
	Alert       = "alt"
	AlertGroup  = "grp"
	Silence     = "sil"
	// The notification service's: people, on-call and delivery.
	User         = "usr"
	Team         = "team"
	Schedule     = "sch"
	Override     = "ovr"
	Policy       = "pol"
	Route        = "rte"
	Channel      = "chn"
	Notification = "ntf"
	// The edge's audit log.
	AuditEntry = "aud"
)

// New returns prefix + "_" + a lowercase ULID. Ids made by one process
// increase strictly, even within a millisecond, so listing by id is listing
// in creation order. They are not secrets: tokens and keys are made from
// crypto/rand elsewhere.
func New(prefix string) string {
	return prefix + "_" + strings.ToLower(ulid.Make().String())
}

// HasPrefix reports whether id is a well-formed identifier of the given kind.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(strings.ToUpper(rest))
	return err == nil
}
