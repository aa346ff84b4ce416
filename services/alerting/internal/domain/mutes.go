package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mutes is what decides whether an alert notifies: the organisation's
// active silences, its services' dependencies, and which services are
// down with firing alerts.
type Mutes struct {
	Silences []Silence
	// DependsOn are each service's direct dependencies.
	DependsOn map[string][]string
	// Down are the services whose status is down.
	Down map[string]bool
	// Firing are the firing alerts of each service.
	Firing map[string][]string
	// Tags are the services' tags, for silences' tag matchers.
	Tags map[string]map[string]string
}

// SilencedBy returns the ids of the active silences matching the alert
// (Mutes holds only active ones), sorted; empty when none.
func (m Mutes) SilencedBy(a Alert) []string {
	out := []string{}
	for _, s := range m.Silences {
		if s.Matchers.Match(a.RuleID, a.ServiceID, m.Tags[a.ServiceID]) {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return out
}

// InhibitedBy returns the firing alerts that explain the alert: those of
// the services it depends on, directly or through others, that are down
// themselves; sorted, empty when none.
func (m Mutes) InhibitedBy(a Alert) []string {
	out := []string{}
	seen := map[string]bool{a.ServiceID: true}
	queue := slices.Clone(m.DependsOn[a.ServiceID])
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		if m.Down[d] {
			out = append(out, m.Firing[d]...)
		}
		queue = append(queue, m.DependsOn[d]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Apply fills in the alert's SilencedBy and InhibitedBy.
func (m Mutes) Apply(a *Alert) {
	a.SilencedBy, a.InhibitedBy = m.SilencedBy(*a), m.InhibitedBy(*a)
}

// Muted reports whether an open alert is kept out of notifications:
// silenced, inhibited, acknowledged or flapping.
func (m Mutes) Muted(a Alert) bool {
	return len(m.SilencedBy(a)) > 0 || len(m.InhibitedBy(a)) > 0 || a.Acknowledged() || a.Flapping
}

// MaxDependencies is the most services one service depends on.
const MaxDependencies = 100

// CheckDependencies checks that serviceID may depend on dependsOn, given
// the organisation's other dependencies (graph, by service; serviceID's
// own are replaced): no service depends on itself, directly or through
// others. It returns dependsOn de-duplicated and sorted.
func CheckDependencies(graph map[string][]string, serviceID string, dependsOn []string) ([]string, error) {
	if len(dependsOn) > MaxDependencies {
		return nil, invalid("depends_on", fmt.Sprintf("must hold at most %d services", MaxDependencies))
	}
	deps := slices.Sorted(slices.Values(dependsOn))
	deps = slices.Compact(deps)
	if deps == nil {
		deps = []string{}
	}
	for _, d := range deps {
		if path := pathTo(graph, serviceID, d, serviceID); path != nil {
			return nil, invalid("depends_on", "would make a cycle: "+strings.Join(append([]string{serviceID}, path...), " → "))
		}
	}
	return deps, nil
}

// pathTo returns a path from `from` to target following the graph, from
// included, with the edges of `replaced` ignored; nil if there is none.
func pathTo(graph map[string][]string, replaced, from, target string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == target {
			var path []string
			for ; n != ""; n = prev[n] {
				path = append([]string{n}, path...)
			}
			return path
		}
		if n == replaced {
			continue
		}
		for _, next := range graph[n] {
			if _, ok := prev[next]; !ok {
				prev[next] = n
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// SLOBurn is what an SLO event of the SLA service says of a service: one
// of its SLOs started (Burning) or stopped burning its error budget too
// fast, at At. Version orders the events of one SLO.
type SLOBurn struct {
	OrgID, ServiceID, SLOID string
	Burning                 bool
	At                      time.Time
	Version                 int64
}
