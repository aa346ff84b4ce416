package domain

import "time"

// Post is what a status change of a service adds to the pages showing
// it, whether or not an incident was opened.
type Post struct {
	ServiceID string
	// Version is the service's version after the change: a post per
	// version, so a redelivered event adds nothing.
	Version     int64
	At          time.Time
	ServiceName string
	Previous    Status
	Status      Status
	Description string
}

// Post is the post as a sentence, with the component's name on the page:
// "Pushmail Email Delivery is degraded: Email delivery delays".
func (p Post) Post(name string) string {
	if name == "" {
		name = p.ServiceName
	}
	var s string
	switch p.Status {
	case Operational:
		s = name + " is operational"
	case Degraded:
		s = name + " is degraded"
	case Down:
		s = name + " is down"
	case Maintenance:
		s = name + " is under maintenance"
	default:
		s = name + " is " + string(p.Status)
	}
	if p.Description != "" {
		s += ": " + p.Description
	}
	return s
}

// ServiceState is a service as the read model knows it from STATUS.
type ServiceState struct {
	ServiceID   string
	OrgID       string
	Name        string
	Status      Status
	Description string
	Version     int64
	Deleted     bool
}
