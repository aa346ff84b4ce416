package domain

import (
	"fmt"
	"slices"
	"testing"
)

func TestIndexMatch(t *testing.T) {
	mk := func(id string, s Selector) Rule { return Rule{ID: id, Spec: RuleSpec{Selector: s}} }
	ix := NewIndex([]Rule{
		mk("all", Selector{All: true}),
		mk("ids", Selector{ServiceIDs: []string{"svc_1", "svc_2"}}),
		mk("team", Selector{Tags: map[string]string{"team": "payments"}}),
		mk("team_tier", Selector{Tags: map[string]string{"team": "payments", "tier": "1"}}),
		mk("other", Selector{Tags: map[string]string{"team": "search"}}),
	})
	tests := []struct {
		svc  string
		tags map[string]string
		want []string
	}{
		{"svc_1", nil, []string{"all", "ids"}},
		{"svc_9", map[string]string{"team": "payments"}, []string{"all", "team"}},
		{"svc_2", map[string]string{"team": "payments", "tier": "1"}, []string{"all", "ids", "team", "team_tier"}},
		{"svc_9", map[string]string{"tier": "1"}, []string{"all"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range ix.Match(tt.svc, tt.tags) {
			got = append(got, r.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Match(%s, %v) = %v, want %v", tt.svc, tt.tags, got, tt.want)
		}
	}
}

// BenchmarkIndexMatch finds the rules of one of 1,000 services among
// 1,000 rules, and among 100,000, each service selected by about eleven
// either way: the cost follows the rules that select the service, not how
// many rules there are.
func BenchmarkIndexMatch(b *testing.B) {
	for _, rules := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("rules=%d", rules), func(b *testing.B) {
			rs := make([]Rule, rules)
			for i := range rs {
				switch i % 2 {
				case 0: // rules by service id
					rs[i] = Rule{ID: fmt.Sprint(i), Spec: RuleSpec{Selector: Selector{ServiceIDs: []string{fmt.Sprintf("svc_%d", i/2)}}}}
				default: // ten rules per team tag
					rs[i] = Rule{ID: fmt.Sprint(i), Spec: RuleSpec{Selector: Selector{Tags: map[string]string{"team": fmt.Sprintf("t%d", i%(rules/20))}}}}
				}
			}
			ix := NewIndex(rs)
			tags := map[string]string{"team": "t7", "tier": "1"}
			b.ResetTimer()
			for i := range b.N {
				if len(ix.Match(fmt.Sprintf("svc_%d", i%1000), tags)) == 0 {
					b.Fatal("no rule matched")
				}
			}
		})
	}
}
