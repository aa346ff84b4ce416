package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
)

// selectorJSON is a rule's selector: exactly one of its fields.
type selectorJSON struct {
	ServiceIDs []string          `json:"service_ids,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	All        bool              `json:"all,omitempty"`
}

// ruleJSON is the REST representation of an alert rule.
type ruleJSON struct {
	ID                 string            `json:"id"`
	OrgID              string            `json:"org_id"`
	Name               string            `json:"name"`
	Selector           selectorJSON      `json:"selector"`
	Statuses           []string          `json:"statuses"`
	For                string            `json:"for"`
	Severity           string            `json:"severity"`
	EscalationPolicyID *string           `json:"escalation_policy_id"`
	Labels             map[string]string `json:"labels"`
	IncludeSLOEvents   bool              `json:"include_slo_events"`
	GroupBy            []string          `json:"group_by"`
	GroupWait          string            `json:"group_wait"`
	GroupInterval      string            `json:"group_interval"`
	RepeatInterval     string            `json:"repeat_interval"`
	FlapThreshold      int32             `json:"flap_threshold"`
	FlapWindow         string            `json:"flap_window"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
	Version            int64             `json:"version"`
}

var ruleSeverityNames = map[alertingv1.Severity]string{
	alertingv1.Severity_SEVERITY_INFO:     "info",
	alertingv1.Severity_SEVERITY_WARNING:  "warning",
	alertingv1.Severity_SEVERITY_CRITICAL: "critical",
}

var alertStateNames = map[alertingv1.AlertState]string{
	alertingv1.AlertState_ALERT_STATE_PENDING:  "pending",
	alertingv1.AlertState_ALERT_STATE_FIRING:   "firing",
	alertingv1.AlertState_ALERT_STATE_RESOLVED: "resolved",
}

var historyKindNames = map[alertingv1.AlertHistoryKind]string{
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_PENDING:        "pending",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_FIRING:         "firing",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_ACKNOWLEDGED:   "acknowledged",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_UNACKNOWLEDGED: "unacknowledged",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_RESOLVED:       "resolved",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_NOTIFIED:       "notified",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_FLAPPING:       "flapping",
	alertingv1.AlertHistoryKind_ALERT_HISTORY_KIND_STABLE:         "stable",
}

// formatDuration writes d the way rules are written: "2m", "1h30m",
// "30s", "1.5s", "0s".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".") + "s")
	}
	return b.String()
}

// parseDuration reads a Go duration ("2m", "1h30m", "0s"), answering 422
// naming field.
func parseDuration(field, s string) (*durationpb.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"%s %q is not a duration such as 30s, 2m or 1h30m", field, s)
	}
	return durationpb.New(d), nil
}

func toRuleJSON(r *alertingv1.Rule) ruleJSON {
	s := r.GetSpec()
	out := ruleJSON{
		ID: r.GetId(), OrgID: r.GetOrgId(), Name: s.GetName(),
		Selector: selectorJSON{ServiceIDs: s.GetSelector().GetServiceIds(), Tags: s.GetSelector().GetTags(), All: s.GetSelector().GetAll()},
		Statuses: []string{}, For: formatDuration(s.GetFor().AsDuration()), Severity: ruleSeverityNames[s.GetSeverity()],
		Labels: nonNilMap(s.GetLabels()), IncludeSLOEvents: s.GetIncludeSloEvents(), GroupBy: append([]string{}, s.GetGroupBy()...),
		GroupWait: formatDuration(s.GetGroupWait().AsDuration()), GroupInterval: formatDuration(s.GetGroupInterval().AsDuration()),
		RepeatInterval: formatDuration(s.GetRepeatInterval().AsDuration()), FlapThreshold: s.GetFlapThreshold(),
		FlapWindow: formatDuration(s.GetFlapWindow().AsDuration()),
		CreatedAt:  r.GetCreatedAt().AsTime(), UpdatedAt: r.GetUpdatedAt().AsTime(), Version: r.GetVersion(),
	}
	if p := s.GetEscalationPolicyId(); p != "" {
		out.EscalationPolicyID = &p
	}
	for _, st := range s.GetStatuses() {
		out.Statuses = append(out.Statuses, statusName(st))
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ruleBody is the body of POST /alert-rules and PATCH /alert-rules/:id.
// For a PATCH, the fields given change; none may be null.
type ruleBody struct {
	Name               optional[string]            `json:"name"`
	Selector           optional[selectorJSON]      `json:"selector"`
	Statuses           optional[[]string]          `json:"statuses"`
	For                optional[string]            `json:"for"`
	Severity           optional[string]            `json:"severity"`
	EscalationPolicyID optional[string]            `json:"escalation_policy_id"`
	Labels             optional[map[string]string] `json:"labels"`
	IncludeSLOEvents   optional[bool]              `json:"include_slo_events"`
	GroupBy            optional[[]string]          `json:"group_by"`
	GroupWait          optional[string]            `json:"group_wait"`
	GroupInterval      optional[string]            `json:"group_interval"`
	RepeatInterval     optional[string]            `json:"repeat_interval"`
	FlapThreshold      optional[int32]             `json:"flap_threshold"`
	FlapWindow         optional[string]            `json:"flap_window"`
}

const ruleFields = "name, selector, statuses, for, severity, escalation_policy_id, labels, include_slo_events, group_by, group_wait, group_interval, repeat_interval, flap_threshold, flap_window"

// spec turns the body into a RuleSpec and the names of the fields it
// gives (their proto names, which the JSON names are).
func (b ruleBody) spec() (*alertingv1.RuleSpec, []string, error) {
	spec := &alertingv1.RuleSpec{}
	var g givenFields
	value(&g, b.Name, "name", &spec.Name)
	g.set(b.Selector.field("selector"), func() error {
		s := b.Selector.value
		spec.Selector = &alertingv1.Selector{ServiceIds: s.ServiceIDs, Tags: s.Tags, All: s.All}
		return nil
	})
	g.set(b.Statuses.field("statuses"), func() error {
		for _, s := range b.Statuses.value {
			st, err := parseStatus(s)
			if err != nil {
				return err
			}
			spec.Statuses = append(spec.Statuses, st)
		}
		return nil
	})
	durations := []struct {
		name string
		v    optional[string]
		to   **durationpb.Duration
	}{
		{"for", b.For, &spec.For}, {"group_wait", b.GroupWait, &spec.GroupWait},
		{"group_interval", b.GroupInterval, &spec.GroupInterval}, {"repeat_interval", b.RepeatInterval, &spec.RepeatInterval},
		{"flap_window", b.FlapWindow, &spec.FlapWindow},
	}
	for _, d := range durations {
		g.set(d.v.field(d.name), func() (err error) { *d.to, err = parseDuration(d.name, d.v.value); return err })
	}
	g.set(b.Severity.field("severity"), func() (err error) {
		spec.Severity, err = parseEnum(ruleSeverityNames, "severity", b.Severity.value, "info, warning, critical")
		return err
	})
	value(&g, b.EscalationPolicyID, "escalation_policy_id", &spec.EscalationPolicyId)
	value(&g, b.Labels, "labels", &spec.Labels)
	value(&g, b.IncludeSLOEvents, "include_slo_events", &spec.IncludeSloEvents)
	value(&g, b.GroupBy, "group_by", &spec.GroupBy)
	g.set(b.FlapThreshold.field("flap_threshold"), func() error {
		if b.FlapThreshold.value < 1 {
			return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "flap_threshold must be at least 1")
		}
		spec.FlapThreshold = b.FlapThreshold.value
		return nil
	})
	return spec, g.names, g.err
}

// alertJSON is the REST representation of an alert.
type alertJSON struct {
	ID                  string             `json:"id"`
	OrgID               string             `json:"org_id"`
	RuleID              string             `json:"rule_id"`
	RuleName            string             `json:"rule_name"`
	ServiceID           string             `json:"service_id"`
	ServiceName         string             `json:"service_name"`
	State               string             `json:"state"`
	Severity            string             `json:"severity"`
	Labels              map[string]string  `json:"labels"`
	ActiveSince         time.Time          `json:"active_since"`
	FiresAt             time.Time          `json:"fires_at"`
	FiredAt             *time.Time         `json:"fired_at"`
	ResolvedAt          *time.Time         `json:"resolved_at"`
	AcknowledgedBy      *string            `json:"acknowledged_by"`
	AcknowledgedAt      *time.Time         `json:"acknowledged_at"`
	AcknowledgementNote string             `json:"acknowledgement_note"`
	Flapping            bool               `json:"flapping"`
	SilencedBy          []string           `json:"silenced_by"`
	InhibitedBy         []string           `json:"inhibited_by"`
	GroupID             *string            `json:"group_id"`
	CreatedAt           time.Time          `json:"created_at"`
	UpdatedAt           time.Time          `json:"updated_at"`
	Version             int64              `json:"version"`
	History             []historyEntryJSON `json:"history,omitempty"`
}

type historyEntryJSON struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Actor string    `json:"actor"`
	Note  string    `json:"note"`
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAlertJSON(a *alertingv1.Alert) alertJSON {
	out := alertJSON{
		ID: a.GetId(), OrgID: a.GetOrgId(), RuleID: a.GetRuleId(), RuleName: a.GetRuleName(),
		ServiceID: a.GetServiceId(), ServiceName: a.GetServiceName(), State: alertStateNames[a.GetState()],
		Severity: ruleSeverityNames[a.GetSeverity()], Labels: nonNilMap(a.GetLabels()),
		ActiveSince: a.GetActiveSince().AsTime(), FiresAt: a.GetFiresAt().AsTime(),
		FiredAt: optionalTime(a.GetFiredAt()), ResolvedAt: optionalTime(a.GetResolvedAt()),
		AcknowledgedBy: optionalString(a.GetAcknowledgedBy()), AcknowledgedAt: optionalTime(a.GetAcknowledgedAt()),
		AcknowledgementNote: a.GetAcknowledgementNote(), Flapping: a.GetFlapping(),
		SilencedBy: append([]string{}, a.GetSilencedBy()...), InhibitedBy: append([]string{}, a.GetInhibitedBy()...),
		GroupID: optionalString(a.GetGroupId()), CreatedAt: a.GetCreatedAt().AsTime(), UpdatedAt: a.GetUpdatedAt().AsTime(),
		Version: a.GetVersion(),
	}
	for _, e := range a.GetHistory() {
		out.History = append(out.History, historyEntryJSON{At: e.GetAt().AsTime(), Kind: historyKindNames[e.GetKind()], Actor: e.GetActor(), Note: e.GetNote()})
	}
	return out
}

// matchersJSON is a silence's matchers.
type matchersJSON struct {
	ServiceIDs []string          `json:"service_ids,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	RuleIDs    []string          `json:"rule_ids,omitempty"`
}

// silenceJSON is the REST representation of a silence.
type silenceJSON struct {
	ID            string       `json:"id"`
	OrgID         string       `json:"org_id"`
	Matchers      matchersJSON `json:"matchers"`
	StartsAt      time.Time    `json:"starts_at"`
	EndsAt        time.Time    `json:"ends_at"`
	Comment       string       `json:"comment"`
	CreatedBy     string       `json:"created_by"`
	MaintenanceID *string      `json:"maintenance_id"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

func toSilenceJSON(s *alertingv1.Silence) silenceJSON {
	m := s.GetMatchers()
	return silenceJSON{
		ID: s.GetId(), OrgID: s.GetOrgId(),
		Matchers: matchersJSON{ServiceIDs: m.GetServiceIds(), Tags: m.GetTags(), RuleIDs: m.GetRuleIds()},
		StartsAt: s.GetStartsAt().AsTime(), EndsAt: s.GetEndsAt().AsTime(), Comment: s.GetComment(),
		CreatedBy: s.GetCreatedBy(), MaintenanceID: optionalString(s.GetMaintenanceId()),
		CreatedAt: s.GetCreatedAt().AsTime(), UpdatedAt: s.GetUpdatedAt().AsTime(),
	}
}

// createSilenceBody is the body of POST /silences.
type createSilenceBody struct {
	Matchers matchersJSON `json:"matchers"`
	StartsAt *string      `json:"starts_at"`
	EndsAt   *string      `json:"ends_at"`
	Comment  string       `json:"comment"`
}

func (b createSilenceBody) request(orgID, actor string) (*alertingv1.CreateSilenceRequest, error) {
	req := &alertingv1.CreateSilenceRequest{
		OrgId: orgID, Comment: b.Comment, CreatedBy: actor,
		Matchers: &alertingv1.Matchers{ServiceIds: b.Matchers.ServiceIDs, Tags: b.Matchers.Tags, RuleIds: b.Matchers.RuleIDs},
	}
	var err error
	if b.StartsAt != nil {
		if req.StartsAt, err = parseTime("starts_at", *b.StartsAt); err != nil {
			return nil, err
		}
	}
	if req.EndsAt, err = requiredTime("ends_at", b.EndsAt); err != nil {
		return nil, err
	}
	return req, nil
}

// dependenciesJSON is a service's dependencies.
type dependenciesJSON struct {
	ServiceID string   `json:"service_id"`
	DependsOn []string `json:"depends_on"`
}
