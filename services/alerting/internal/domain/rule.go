package domain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/upstatehq/upstate/pkg/selector"
)

// Severity is how urgent a rule's alerts are.
type Severity string

// The severities.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Limits of a rule.
const (
	MaxNameLen      = 200
	MaxServiceIDs   = 100
	MaxGroupBy      = 10
	MaxFor          = 24 * time.Hour
	MaxGroupTiming  = 7 * 24 * time.Hour
	MaxFlapWindow   = 24 * time.Hour
	MaxFlapTreshold = 1000
)

// Selector says which services a rule watches: exactly one of ServiceIDs,
// Tags or All (the shared service selector).
type Selector = selector.Selector

// RuleSpec is what a rule's author sets.
type RuleSpec struct {
	Name     string
	Selector Selector
	// Statuses make the condition hold.
	Statuses []Status
	// For is how long the condition holds before the alert fires.
	For                time.Duration
	Severity           Severity
	EscalationPolicyID string
	Labels             map[string]string
	// IncludeSLOEvents makes an SLO burning on a selected service hold
	// the condition too.
	IncludeSLOEvents bool
	// GroupBy, GroupWait, GroupInterval and RepeatInterval are
	// Alertmanager's: the labels splitting the rule's alerts into
	// notification groups, the wait before a new group's first
	// notification, the wait after a notification before notifying of
	// changes, and before notifying again of the same alerts (0: never).
	GroupBy        []string
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	// A service changing status more than FlapThreshold times within
	// FlapWindow is flapping.
	FlapThreshold int
	FlapWindow    time.Duration
}

// DefaultSpec is a rule's settings before its author sets any:
// Alertmanager's grouping defaults, down for no time, warning.
func DefaultSpec() RuleSpec {
	return RuleSpec{
		Statuses: []Status{Down}, Severity: Warning, GroupBy: []string{LabelRule},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour,
		FlapThreshold: 6, FlapWindow: 10 * time.Minute,
	}
}

// Rule is an alert rule of an organisation.
type Rule struct {
	ID, OrgID string
	Spec      RuleSpec
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Holds reports whether status is one of the rule's.
func (s RuleSpec) Holds(status Status) bool { return slices.Contains(s.Statuses, status) }

// Normalize returns the spec with its lists de-duplicated (order kept)
// and the name trimmed, as it is validated and stored.
func (s RuleSpec) Normalize() RuleSpec {
	s.Name = strings.TrimSpace(s.Name)
	s.Selector = s.Selector.Normalize()
	s.Statuses = dedupe(s.Statuses)
	s.GroupBy = dedupe(s.GroupBy)
	return s
}

func dedupe[T comparable](in []T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Validate checks a normalized spec.
func (s RuleSpec) Validate() error {
	if s.Name == "" || utf8.RuneCountInString(s.Name) > MaxNameLen {
		return invalid("name", fmt.Sprintf("is required, 1–%d characters", MaxNameLen))
	}
	if err := s.Selector.Validate("selector"); err != nil {
		return selectorError(err)
	}
	if len(s.Statuses) == 0 {
		return invalid("statuses", "needs at least one of operational, degraded, down, maintenance")
	}
	for _, st := range s.Statuses {
		if !st.Valid() {
			return invalid("statuses", fmt.Sprintf("%q is not a status; valid values are operational, degraded, down, maintenance", st))
		}
	}
	if s.For < 0 || s.For > MaxFor {
		return invalid("for", "must be between 0s and 24h")
	}
	switch s.Severity {
	case Info, Warning, Critical:
	default:
		return invalid("severity", "valid values are info, warning, critical")
	}
	if len(s.EscalationPolicyID) > 100 {
		return invalid("escalation_policy_id", "must be at most 100 characters")
	}
	if err := validatePairs("labels", s.Labels); err != nil {
		return err
	}
	if len(s.GroupBy) > MaxGroupBy {
		return invalid("group_by", fmt.Sprintf("must hold at most %d labels", MaxGroupBy))
	}
	for _, l := range s.GroupBy {
		if !selector.IsKey(l) {
			return invalid("group_by", fmt.Sprintf("%q is not a label name", l))
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"group_wait", s.GroupWait}, {"group_interval", s.GroupInterval}, {"repeat_interval", s.RepeatInterval}} {
		if d.v < 0 || d.v > MaxGroupTiming {
			return invalid(d.field, "must be between 0s and 168h")
		}
	}
	if s.FlapThreshold < 1 || s.FlapThreshold > MaxFlapTreshold {
		return invalid("flap_threshold", fmt.Sprintf("must be between 1 and %d", MaxFlapTreshold))
	}
	if s.FlapWindow < time.Second || s.FlapWindow > MaxFlapWindow {
		return invalid("flap_window", "must be between 1s and 24h")
	}
	return nil
}

// validatePairs checks a map of labels, made as services' tags.
func validatePairs(field string, m map[string]string) error {
	return selectorError(selector.ValidatePairs(field, m))
}

// selectorError returns the selector's *selector.Error as the domain's
// ValidationError.
func selectorError(err error) error {
	var serr *selector.Error
	if errors.As(err, &serr) {
		return invalid(serr.Field, serr.Message)
	}
	return err
}

// Reserved labels every alert carries, which group_by may name.
const (
	LabelRule        = "rule"
	LabelRuleName    = "rule_name"
	LabelService     = "service"
	LabelServiceName = "service_name"
	LabelSeverity    = "severity"
)

// AlertLabels are the labels of the rule's alert on svc: the service's
// tags, then the rule's labels, then the reserved ones, each overriding
// the ones before.
func AlertLabels(r Rule, svc Service) map[string]string {
	out := make(map[string]string, len(svc.Tags)+len(r.Spec.Labels)+5)
	maps.Copy(out, svc.Tags)
	maps.Copy(out, r.Spec.Labels)
	out[LabelRule], out[LabelRuleName] = r.ID, r.Spec.Name
	out[LabelService], out[LabelServiceName] = svc.ID, svc.Name
	out[LabelSeverity] = string(r.Spec.Severity)
	return out
}

// GroupLabels are the values of the rule's group_by labels among an
// alert's labels (missing ones are empty).
func GroupLabels(spec RuleSpec, labels map[string]string) map[string]string {
	out := make(map[string]string, len(spec.GroupBy))
	for _, l := range spec.GroupBy {
		out[l] = labels[l]
	}
	return out
}

// GroupKey names the notification group of an alert of rule ruleID with
// these group labels: alerts of one rule with the same values of its
// group_by labels share a group.
func GroupKey(ruleID string, groupBy []string, groupLabels map[string]string) string {
	var b strings.Builder
	b.WriteString(ruleID)
	keys := slices.Sorted(slices.Values(groupBy))
	for _, k := range keys {
		fmt.Fprintf(&b, "|%s=%q", k, groupLabels[k])
	}
	return b.String()
}
