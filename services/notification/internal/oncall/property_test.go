package oncall

import (
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzTimeline builds a random schedule from a seed — zones with summer
// time (one of them shifting by 30 minutes), every unit, restrictions,
// overlapping overrides — and checks its timeline: shifts in order within
// the window, no overlaps, merged, and OnCall agreeing with them at their
// edges, their middles, in the gaps and at random instants.
func FuzzTimeline(f *testing.F) {
	for seed := range uint64(64) {
		f.Add(seed)
	}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"}
	users := []string{"a", "b", "c", "d"}
	f.Fuzz(func(t *testing.T, seed uint64) {
		r := rand.New(rand.NewPCG(seed, seed>>32))
		year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		instant := func() time.Time { return year.Add(time.Duration(r.Int64N(365*24*60)) * time.Minute) }
		tod := func() TimeOfDay { return TimeOfDay{r.IntN(24), []int{0, 15, 30, 45}[r.IntN(4)]} }
		pick := func() []string {
			out := make([]string, 1+r.IntN(4))
			for i := range out {
				out[i] = users[r.IntN(len(users))]
			}
			return out
		}
		s := Schedule{TimeZone: zones[r.IntN(len(zones))]}
		for range 1 + r.IntN(3) {
			l := Layer{
				Members: pick(), Start: instant(),
				Handoff: Handoff{Every: 1 + r.IntN(3), Unit: []Unit{Hour, Day, Week}[r.IntN(3)]},
			}
			if l.Handoff.Unit == Hour {
				l.Handoff.Every = 1 + r.IntN(30)
			}
			for range r.IntN(3) {
				days := []time.Weekday{time.Weekday(r.IntN(7)), time.Weekday(r.IntN(7))}
				l.Restrictions = append(l.Restrictions, Restriction{Weekdays: days, Start: tod(), End: tod()})
			}
			s.Layers = append(s.Layers, l)
		}
		for range r.IntN(4) {
			from := instant()
			s.Overrides = append(s.Overrides, Override{UserID: users[r.IntN(len(users))], From: from, To: from.Add(time.Duration(1+r.IntN(72*60)) * time.Minute)})
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("generated an invalid schedule: %v", err)
		}
		from := instant()
		to := from.Add(time.Duration(1+r.IntN(21*24*60)) * time.Minute)
		shifts := s.Shifts(from, to)
		checkTimeline(t, s, from, to, shifts)
		for range 50 {
			at := from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
			want := ""
			for _, sh := range shifts {
				if !at.Before(sh.Start) && at.Before(sh.End) {
					want = sh.UserID
				}
			}
			if got := s.OnCall(at); want == "" && got != nil || want != "" && (len(got) != 1 || got[0] != want) {
				t.Fatalf("OnCall(%s) = %q, the timeline says %q", at, got, want)
			}
		}
	})
}
