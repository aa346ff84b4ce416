// Package domain holds the status service's rules as plain types and
// functions: what a service is, which statuses exist, what a status report
// does to a service, what a webhook receiver's settings may be, and what a
// webhook delivery does. It does no I/O.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Status is what users see of a service.
type Status string

// The statuses a service can have.
const (
	Operational Status = "operational"
	Degraded    Status = "degraded"
	Down        Status = "down"
	Maintenance Status = "maintenance"
)

// Statuses lists every valid status, in order of severity for display.
var Statuses = []Status{Operational, Degraded, Down, Maintenance}

// ErrInvalidStatus is wrapped by ParseStatus for any unknown value.
var ErrInvalidStatus = errors.New("invalid status")

// ParseStatus accepts a status name in any case, with surrounding spaces.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	for _, st := range Statuses {
		if v == st {
			return v, nil
		}
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("%q is not a status; valid values are %s", s, ValidStatuses()), err: ErrInvalidStatus}
}

// ValidStatuses is the list of statuses for error messages.
func ValidStatuses() string {
	names := make([]string, len(Statuses))
	for i, s := range Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Source says which channel reported a status.
type Source string

// The channels that report statuses.
const (
	SourceAPI         Source = "api"
	SourceWebhook     Source = "webhook"
	SourceMaintenance Source = "maintenance"
)
