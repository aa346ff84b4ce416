package domain

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a page, checked by Page.Validate.
const (
	MaxNameLength        = 200
	MaxDescriptionLength = 1000
	MaxComponents        = 100
)

// Page is a public status page and its components.
type Page struct {
	ID           string
	OrgID        string
	Name         string
	Slug         string
	TimeZone     string
	CustomDomain string
	Components   []Component
	CreatedAt    time.Time
	// UpdatedAt is when the page, or anything it shows, last changed.
	UpdatedAt time.Time
}

// Component is one service shown on a page.
type Component struct {
	ID                 string
	ServiceID          string
	Name               string
	Description        string
	Group              string
	Position           int
	OnlyShowIfDegraded bool
	// Status is the service's status as the read model has it.
	Status Status
}

var (
	slugRe   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	domainRe = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
)

// NormalizeDomain lowercases a custom domain and drops a trailing dot.
func NormalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// Validate checks the page's fields and components; the services' names
// are filled in already.
func (p Page) Validate() error {
	switch n := utf8.RuneCountInString(p.Name); {
	case strings.TrimSpace(p.Name) == "":
		return invalid("name", "is required")
	case n > MaxNameLength:
		return invalid("name", "must be at most %d characters", MaxNameLength)
	}
	if !slugRe.MatchString(p.Slug) {
		return invalid("slug", "must be 1–63 lowercase letters, digits and dashes, not starting or ending with a dash")
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
			return invalid("time_zone", "%q is not an IANA time zone such as Europe/Berlin", p.TimeZone)
		}
	}
	if p.CustomDomain != "" && (!domainRe.MatchString(p.CustomDomain) || len(p.CustomDomain) > 253) {
		return invalid("custom_domain", "%q is not a host name such as status.example.com", p.CustomDomain)
	}
	if len(p.Components) > MaxComponents {
		return invalid("components", "at most %d components", MaxComponents)
	}
	seen := map[string]bool{}
	for i, c := range p.Components {
		field := "components[" + strconv.Itoa(i) + "]"
		switch {
		case c.ServiceID == "":
			return invalid(field+".service_id", "is required")
		case seen[c.ServiceID]:
			return invalid(field+".service_id", "service %s is on the page twice", c.ServiceID)
		case utf8.RuneCountInString(c.Name) > MaxNameLength:
			return invalid(field+".name", "must be at most %d characters", MaxNameLength)
		case utf8.RuneCountInString(c.Description) > MaxDescriptionLength:
			return invalid(field+".description", "must be at most %d characters", MaxDescriptionLength)
		case utf8.RuneCountInString(c.Group) > MaxNameLength:
			return invalid(field+".group", "must be at most %d characters", MaxNameLength)
		}
		seen[c.ServiceID] = true
	}
	return nil
}

// Location is the page's time zone (UTC when unset or unknown).
func (p Page) Location() *time.Location {
	if loc, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Shown reports whether the component is shown: always, or while not
// operational when it only shows if degraded.
func (c Component) Shown() bool { return !c.OnlyShowIfDegraded || c.Status != Operational }

// Group is a named group of components, or a component alone.
type Group struct {
	// ID is the group's id ("" for a component alone).
	ID string
	// Name is the group's name ("" for a component alone).
	Name       string
	Status     Status
	Components []Component
}

// GroupID is the stable id of a page's group, derived from its name.
func GroupID(pageID, name string) string {
	sum := sha256.Sum256([]byte(pageID + "\x00" + name))
	return "grp_" + hex.EncodeToString(sum[:13])
}

// Layout returns the page's shown components in position order, a group
// where the first of its members stands, its status its worst member's.
func (p Page) Layout() []Group {
	comps := slices.Clone(p.Components)
	slices.SortStableFunc(comps, func(a, b Component) int { return cmp.Compare(a.Position, b.Position) })
	var out []Group
	index := map[string]int{}
	for _, c := range comps {
		if !c.Shown() {
			continue
		}
		if c.Group == "" {
			out = append(out, Group{Status: c.Status, Components: []Component{c}})
			continue
		}
		i, ok := index[c.Group]
		if !ok {
			i = len(out)
			index[c.Group] = i
			out = append(out, Group{ID: GroupID(p.ID, c.Group), Name: c.Group, Status: c.Status})
		}
		out[i].Components = append(out[i].Components, c)
		out[i].Status = Worst(out[i].Status, c.Status)
	}
	return out
}

// Overall is the page's status from its shown components and the impacts
// of its unresolved incidents.
func (p Page) Overall(impacts []string) Overall {
	var statuses []Status
	for _, c := range p.Components {
		if c.Shown() {
			statuses = append(statuses, c.Status)
		}
	}
	return PageStatus(statuses, impacts)
}

// ComponentOf returns the component following the service.
func (p Page) ComponentOf(serviceID string) (Component, bool) {
	for _, c := range p.Components {
		if c.ServiceID == serviceID {
			return c, true
		}
	}
	return Component{}, false
}

// Affects reports whether any of the services is on the page.
func (p Page) Affects(serviceIDs []string) bool {
	for _, id := range serviceIDs {
		if _, ok := p.ComponentOf(id); ok {
			return true
		}
	}
	return false
}
