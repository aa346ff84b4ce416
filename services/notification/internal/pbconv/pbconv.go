// Package pbconv converts the notification service's domain records to
// and from their protobuf messages.
package pbconv

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/oncall"
)

// User is u as a message.
func User(u domain.User) *notificationv1.User {
	return &notificationv1.User{Id: u.ID, OrgId: u.OrgID, CreatedAt: timestamppb.New(u.CreatedAt), UpdatedAt: timestamppb.New(u.UpdatedAt),
		Spec: &notificationv1.UserSpec{Name: u.Spec.Name, Email: u.Spec.Email, TimeZone: u.Spec.TimeZone,
			SlackMemberId: u.Spec.SlackMemberID, Phone: u.Spec.Phone, ChannelIds: u.Spec.ChannelIDs}}
}

// Team is t as a message.
func Team(t domain.Team) *notificationv1.Team {
	return &notificationv1.Team{Id: t.ID, OrgId: t.OrgID, CreatedAt: timestamppb.New(t.CreatedAt), UpdatedAt: timestamppb.New(t.UpdatedAt),
		Spec: &notificationv1.TeamSpec{Name: t.Spec.Name, MemberIds: t.Spec.MemberIDs}}
}

// Schedule is s as a message.
func Schedule(s domain.Schedule) *notificationv1.Schedule {
	spec := &notificationv1.ScheduleSpec{Name: s.Spec.Name, TimeZone: s.Spec.TimeZone}
	for _, l := range s.Spec.Layers {
		pl := &notificationv1.Layer{Name: l.Name, Members: l.Members, Start: l.Start,
			Handoff: &notificationv1.Handoff{Every: int32(l.Handoff.Every), Unit: l.Handoff.Unit}}
		for _, r := range l.Restrictions {
			pl.Restrictions = append(pl.Restrictions, &notificationv1.Restriction{Days: r.Days, Start: r.Start, End: r.End})
		}
		spec.Layers = append(spec.Layers, pl)
	}
	return &notificationv1.Schedule{Id: s.ID, OrgId: s.OrgID, Spec: spec, CreatedAt: timestamppb.New(s.CreatedAt), UpdatedAt: timestamppb.New(s.UpdatedAt)}
}

// Layers are the layers of a message.
func Layers(in []*notificationv1.Layer) []domain.Layer {
	out := make([]domain.Layer, 0, len(in))
	for _, l := range in {
		dl := domain.Layer{Name: l.GetName(), Members: l.GetMembers(), Start: l.GetStart(),
			Handoff: domain.Handoff{Every: int(l.GetHandoff().GetEvery()), Unit: l.GetHandoff().GetUnit()}}
		for _, r := range l.GetRestrictions() {
			dl.Restrictions = append(dl.Restrictions, domain.Restriction{Days: r.GetDays(), Start: r.GetStart(), End: r.GetEnd()})
		}
		out = append(out, dl)
	}
	return out
}

// Override is o as a message.
func Override(o domain.Override) *notificationv1.Override {
	return &notificationv1.Override{Id: o.ID, ScheduleId: o.ScheduleID, UserId: o.UserID,
		From: timestamppb.New(o.From), To: timestamppb.New(o.To), CreatedAt: timestamppb.New(o.CreatedAt)}
}

// Shift is sh of schedule s as a message: its layer by name, "override"
// for an override.
func Shift(s domain.Schedule, sh oncall.Shift) *notificationv1.Shift {
	layer := "override"
	if !sh.Override && sh.Layer >= 0 && sh.Layer < len(s.Spec.Layers) {
		layer = s.Spec.Layers[sh.Layer].Name
	}
	return &notificationv1.Shift{UserId: sh.UserID, Start: timestamppb.New(sh.Start.UTC()), End: timestamppb.New(sh.End.UTC()), Layer: layer}
}

// Target is t as a message.
func Target(t escalation.Target) *notificationv1.Target {
	switch {
	case t.ScheduleID != "":
		return &notificationv1.Target{Kind: &notificationv1.Target_ScheduleId{ScheduleId: t.ScheduleID}}
	case t.UserID != "":
		return &notificationv1.Target{Kind: &notificationv1.Target_UserId{UserId: t.UserID}}
	}
	return &notificationv1.Target{Kind: &notificationv1.Target_ChannelId{ChannelId: t.ChannelID}}
}

// Targets are the targets of a message.
func Targets(in []*notificationv1.Target) []escalation.Target {
	out := make([]escalation.Target, 0, len(in))
	for _, t := range in {
		out = append(out, escalation.Target{ScheduleID: t.GetScheduleId(), UserID: t.GetUserId(), ChannelID: t.GetChannelId()})
	}
	return out
}

// Policy is p as a message.
func Policy(p domain.Policy) *notificationv1.EscalationPolicy {
	spec := &notificationv1.EscalationPolicySpec{Name: p.Spec.Name, Repeat: int32(p.Spec.Repeat)}
	for _, st := range p.Spec.Steps {
		ps := &notificationv1.EscalationStep{After: durationpb.New(st.After)}
		for _, t := range st.Targets {
			ps.Targets = append(ps.Targets, Target(t))
		}
		spec.Steps = append(spec.Steps, ps)
	}
	return &notificationv1.EscalationPolicy{Id: p.ID, OrgId: p.OrgID, Spec: spec, Version: p.Version,
		CreatedAt: timestamppb.New(p.CreatedAt), UpdatedAt: timestamppb.New(p.UpdatedAt)}
}

// Steps are the steps of a message. A malformed or missing after becomes
// negative, which validation refuses.
func Steps(in []*notificationv1.EscalationStep) []escalation.Step {
	out := make([]escalation.Step, 0, len(in))
	for _, s := range in {
		after := time.Duration(-1)
		if d := s.GetAfter(); d != nil && d.CheckValid() == nil {
			after = d.AsDuration()
		}
		out = append(out, escalation.Step{After: after, Targets: Targets(s.GetTargets())})
	}
	return out
}

// Route is r as a message.
func Route(r domain.Route) *notificationv1.Route {
	sel := r.Spec.Services
	return &notificationv1.Route{Id: r.ID, OrgId: r.OrgID, CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt),
		Spec: &notificationv1.RouteSpec{Name: r.Spec.Name, Events: r.Spec.Events, ChannelIds: r.Spec.ChannelIDs,
			Services: &alertingv1.Selector{ServiceIds: sel.ServiceIDs, Tags: sel.Tags, All: sel.All}}}
}

// Selector is the selector of a message.
func Selector(in *alertingv1.Selector) domain.Selector {
	return domain.Selector{ServiceIDs: in.GetServiceIds(), Tags: in.GetTags(), All: in.GetAll()}
}
