package domain

// Status is a service's status as upstate knows it.
type Status string

// upstate's statuses.
const (
	Operational Status = "operational"
	Degraded    Status = "degraded"
	Down        Status = "down"
	Maintenance Status = "maintenance"
)

// rank orders statuses from best to worst for a group's status.
var rank = map[Status]int{Operational: 0, Maintenance: 1, Degraded: 2, Down: 3}

// Valid reports whether s is one of upstate's statuses.
func (s Status) Valid() bool { _, ok := rank[s]; return ok }

// Worst returns the worst of statuses (operational for none).
func Worst(statuses ...Status) Status {
	w := Operational
	for _, s := range statuses {
		if rank[s] > rank[w] {
			w = s
		}
	}
	return w
}

// ComponentStatus is Statuspage's name for a component's status.
func (s Status) ComponentStatus() string {
	switch s {
	case Degraded:
		return "degraded_performance"
	case Down:
		return "major_outage"
	case Maintenance:
		return "under_maintenance"
	}
	return "operational"
}

// Label is how a person reads the status.
func (s Status) Label() string {
	switch s {
	case Degraded:
		return "Degraded performance"
	case Down:
		return "Major outage"
	case Maintenance:
		return "Under maintenance"
	}
	return "Operational"
}

// Indicator is Statuspage's overall indicator of a page.
type Indicator string

// The indicators, from best to worst.
const (
	IndicatorNone     Indicator = "none"
	IndicatorMinor    Indicator = "minor"
	IndicatorMajor    Indicator = "major"
	IndicatorCritical Indicator = "critical"
)

var indicatorRank = map[Indicator]int{IndicatorNone: 0, IndicatorMinor: 1, IndicatorMajor: 2, IndicatorCritical: 3}

// Overall is a page's indicator and its description.
type Overall struct {
	Indicator   Indicator
	Description string
}

// PageStatus is the overall status of a page whose shown components have
// statuses and whose unresolved incidents have impacts (a severity:
// minor, major or critical).
func PageStatus(statuses []Status, impacts []string) Overall {
	ind := IndicatorNone
	raise := func(i Indicator) {
		if indicatorRank[i] > indicatorRank[ind] {
			ind = i
		}
	}
	down, maintenance := 0, 0
	for _, s := range statuses {
		switch s {
		case Down:
			down++
		case Degraded:
			raise(IndicatorMinor)
		case Maintenance:
			maintenance++
		}
	}
	switch {
	case down > 0 && down == len(statuses):
		raise(IndicatorCritical)
	case down > 0:
		raise(IndicatorMajor)
	}
	for _, impact := range impacts {
		raise(Indicator(impact))
	}
	switch ind {
	case IndicatorCritical:
		return Overall{ind, "Major System Outage"}
	case IndicatorMajor:
		return Overall{ind, "Partial System Outage"}
	case IndicatorMinor:
		return Overall{ind, "Minor Service Outage"}
	}
	if maintenance > 0 {
		return Overall{ind, "Service Under Maintenance"}
	}
	return Overall{ind, "All Systems Operational"}
}
