package domain

import (
	"slices"
	"testing"
	"time"
)

func TestGroupTiming(t *testing.T) {
	tm := Timing{Wait: 30 * time.Second, Interval: 5 * time.Minute, Repeat: 4 * time.Hour}
	a := Alert{ID: "alt_1", State: Firing}
	b := Alert{ID: "alt_2", State: Firing}

	g := NewGroup("grp_1", "org_1", "rul_1", "k", nil, tm, t0)
	if !g.NextFlushAt.Equal(at(30 * time.Second)) {
		t.Fatalf("a new group waits group_wait: %v", g.NextFlushAt)
	}
	// A second alert joining during group_wait does not move it.
	if g = g.Touch(tm, at(10*time.Second)); !g.NextFlushAt.Equal(at(30 * time.Second)) {
		t.Fatalf("touched during group_wait: %v", g.NextFlushAt)
	}
	g, n, drop := g.Flush([]Member{{Alert: a}, {Alert: b}}, tm, at(30*time.Second))
	if n == nil || len(n.Firing) != 2 || n.Repeat || drop || g.Seq != 1 || !slices.Equal(g.Notified, []string{"alt_1", "alt_2"}) {
		t.Fatalf("first flush = %+v, %+v, %v", g, n, drop)
	}
	if !g.NextFlushAt.Equal(at(30*time.Second + 5*time.Minute)) {
		t.Fatalf("next look after group_interval: %v", g.NextFlushAt)
	}
	// Nothing changed: no notification before repeat_interval.
	g, n, _ = g.Flush([]Member{{Alert: a}, {Alert: b}}, tm, at(6*time.Minute))
	if n != nil {
		t.Fatalf("notified without a change: %+v", n)
	}
	// A change is notified group_interval after the last notification.
	if g = g.Touch(tm, at(6*time.Minute)); !g.NextFlushAt.Equal(at(6 * time.Minute)) {
		t.Fatalf("a change after group_interval is due at once: %v", g.NextFlushAt)
	}
	resolved := b
	resolved.State = Resolved
	g, n, _ = g.Flush([]Member{{Alert: a}, {Alert: resolved}}, tm, at(6*time.Minute))
	if n == nil || len(n.Firing) != 1 || len(n.Resolved) != 1 || g.Seq != 2 {
		t.Fatalf("resolution = %+v", n)
	}
	// The same firing alert again after repeat_interval.
	g, n, _ = g.Flush([]Member{{Alert: a}}, tm, at(6*time.Minute+4*time.Hour))
	if n == nil || !n.Repeat || len(n.Firing) != 1 {
		t.Fatalf("repeat = %+v", n)
	}
	// Muted (acknowledged, silenced...): nothing, and no more repeats.
	g, n, drop = g.Flush([]Member{{Alert: a, Muted: true}}, tm, at(7*time.Minute+4*time.Hour))
	if n != nil || drop || len(g.Notified) != 0 {
		t.Fatalf("muted = %+v, %+v", g, n)
	}
	g, n, _ = g.Flush([]Member{{Alert: a, Muted: true}}, tm, at(7*time.Minute+8*time.Hour))
	if n != nil {
		t.Fatalf("muted alert repeated: %+v", n)
	}
	// Resolved and told: the group is done.
	a.State = Resolved
	if _, n, drop = g.Flush([]Member{{Alert: a}}, tm, at(9*time.Hour)); n != nil || !drop {
		t.Fatalf("done = %+v, drop %v", n, drop)
	}
}

func TestGroupZeroTiming(t *testing.T) {
	tm := Timing{}
	g := NewGroup("grp_1", "org_1", "rul_1", "k", nil, tm, t0)
	if !g.NextFlushAt.Equal(t0) {
		t.Fatalf("group_wait 0 flushes at once: %v", g.NextFlushAt)
	}
	g, n, _ := g.Flush([]Member{{Alert: Alert{ID: "alt_1", State: Firing}}}, tm, t0)
	if n == nil || !g.NextFlushAt.Equal(at(MinRecheck)) {
		t.Fatalf("flush = %+v, next %v", n, g.NextFlushAt)
	}
	if _, n, _ = g.Flush([]Member{{Alert: Alert{ID: "alt_1", State: Firing}}}, tm, at(time.Hour)); n != nil {
		t.Fatalf("repeat_interval 0 repeated: %+v", n)
	}
}

func TestMutes(t *testing.T) {
	alert := func(rule, svc string) Alert { return Alert{ID: "alt_x", RuleID: rule, ServiceID: svc, State: Firing} }
	m := Mutes{
		Silences: []Silence{
			{ID: "sil_svc", Matchers: Matchers{ServiceIDs: []string{"svc_api"}}},
			{ID: "sil_tag_rule", Matchers: Matchers{Tags: map[string]string{"team": "search"}, RuleIDs: []string{"rul_1"}}},
		},
		DependsOn: map[string][]string{"svc_web": {"svc_api"}, "svc_api": {"svc_db"}, "svc_app": {"svc_cache"}},
		Down:      map[string]bool{"svc_db": true, "svc_cache": true, "svc_api": true},
		Firing:    map[string][]string{"svc_db": {"alt_db"}, "svc_api": {"alt_api"}},
		Tags:      map[string]map[string]string{"svc_search": {"team": "search", "tier": "1"}},
	}
	tests := []struct {
		name                string
		alert               Alert
		silenced, inhibited []string
		muted               bool
	}{
		{"nothing holds it", alert("rul_1", "svc_pay"), []string{}, []string{}, false},
		{"silenced by service", alert("rul_1", "svc_api"), []string{"sil_svc"}, []string{"alt_db"}, true},
		{"silenced by tag and rule", alert("rul_1", "svc_search"), []string{"sil_tag_rule"}, []string{}, true},
		{"another rule is not", alert("rul_2", "svc_search"), []string{}, []string{}, false},
		{"inhibited through its dependencies", alert("rul_1", "svc_web"), []string{}, []string{"alt_api", "alt_db"}, true},
		{"a dependency down without a firing alert does not inhibit", alert("rul_1", "svc_app"), []string{}, []string{}, false},
		{"acknowledged", Alert{ID: "alt_y", RuleID: "rul_1", ServiceID: "svc_pay", State: Firing, AckedBy: "key_1"}, []string{}, []string{}, true},
		{"flapping", Alert{ID: "alt_y", RuleID: "rul_1", ServiceID: "svc_pay", State: Firing, Flapping: true}, []string{}, []string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.alert
			m.Apply(&a)
			if !slices.Equal(a.SilencedBy, tt.silenced) || !slices.Equal(a.InhibitedBy, tt.inhibited) || m.Muted(a) != tt.muted {
				t.Fatalf("silenced by %v inhibited by %v muted %v; want %v %v %v", a.SilencedBy, a.InhibitedBy, m.Muted(a), tt.silenced, tt.inhibited, tt.muted)
			}
		})
	}
}

func TestCheckDependencies(t *testing.T) {
	graph := map[string][]string{"a": {"b"}, "b": {"c"}, "d": {"a"}}
	tests := []struct {
		name, svc string
		deps      []string
		want      []string
		ok        bool
	}{
		{"none", "a", nil, []string{}, true},
		{"sorted and de-duplicated", "a", []string{"c", "b", "c"}, []string{"b", "c"}, true},
		{"itself", "a", []string{"a"}, nil, false},
		{"a cycle through others", "c", []string{"d"}, nil, false},
		{"a direct cycle", "b", []string{"a"}, nil, false},
		{"replacing its own edges is no cycle", "a", []string{"c"}, []string{"c"}, true},
		{"a diamond is fine", "d", []string{"a", "b"}, []string{"a", "b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckDependencies(graph, tt.svc, tt.deps)
			if tt.ok != (err == nil) || !slices.Equal(got, tt.want) {
				t.Fatalf("CheckDependencies = %v, %v", got, err)
			}
		})
	}
}

func TestSilences(t *testing.T) {
	n := NewSilence{Matchers: Matchers{ServiceIDs: []string{"svc_1", "svc_1"}}, EndsAt: at(time.Hour), Comment: "deploy"}
	if err := n.Validate(t0); err != nil {
		t.Fatal(err)
	}
	s := n.Create("sil_1", "org_1", "key_1", t0)
	if !s.Active(t0) || s.Active(at(time.Hour)) || len(s.Matchers.ServiceIDs) != 1 {
		t.Fatalf("silence = %+v", s)
	}
	for name, bad := range map[string]NewSilence{
		"no matchers":      {EndsAt: at(time.Hour)},
		"no end":           {Matchers: n.Matchers},
		"ended":            {Matchers: n.Matchers, EndsAt: at(-time.Minute)},
		"end before start": {Matchers: n.Matchers, StartsAt: at(2 * time.Hour), EndsAt: at(time.Hour)},
	} {
		if err := bad.Validate(t0); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
	expired, changed, err := s.Expire(at(time.Minute))
	if err != nil || !changed || expired.Active(at(time.Minute)) {
		t.Fatalf("expire = %+v, %v, %v", expired, changed, err)
	}

	w := Window{ID: "mnt_1", OrgID: "org_1", Title: "DB", ServiceIDs: []string{"svc_1"}, StartsAt: at(time.Hour), EndsAt: at(2 * time.Hour), Version: 1}
	ms, ok := MaintenanceSilence("sil_m", w, nil, t0)
	if !ok || ms.Active(t0) || !ms.Active(at(90*time.Minute)) || ms.MaintenanceID != "mnt_1" {
		t.Fatalf("maintenance silence = %+v", ms)
	}
	if _, _, err := ms.Expire(t0); err == nil {
		t.Fatal("a maintenance silence expired by hand")
	}
	w.EndedAt, w.Version = at(80*time.Minute), 3
	ended, ok := MaintenanceSilence("sil_other", w, &ms, at(80*time.Minute))
	if !ok || ended.ID != "sil_m" || ended.Active(at(85*time.Minute)) {
		t.Fatalf("ended early = %+v", ended)
	}
	w.Version = 2
	if _, ok := MaintenanceSilence("sil_m", w, &ended, t0); ok {
		t.Fatal("a stale version of the window changed its silence")
	}
	c := Window{ID: "mnt_2", StartsAt: at(time.Hour), EndsAt: at(2 * time.Hour), EndedAt: t0, Cancelled: true, Version: 2}
	if cs, _ := MaintenanceSilence("sil_c", c, nil, t0); cs.Active(at(90 * time.Minute)) {
		t.Fatalf("a cancelled window silences: %+v", cs)
	}
}
