package domain

import (
	"errors"
	"testing"
	"time"
)

// window is a window of t0+1h to t0+2h in status.
func window(status MaintenanceStatus) Maintenance {
	return Maintenance{
		ID: "mnt_a", Status: status, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour),
		CreatedAt: t0, UpdatedAt: t0, Version: 3,
	}
}

func TestNextStep(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status MaintenanceStatus
		at     time.Duration // after t0
		want   Step
	}{
		{"scheduled, before its start", Scheduled, 59 * time.Minute, StepNone},
		{"scheduled, at its start", Scheduled, time.Hour, StepStart},
		{"scheduled, during it", Scheduled, 90 * time.Minute, StepStart},
		{"scheduled, its whole time passed: it ends without starting", Scheduled, 2 * time.Hour, StepEnd},
		{"in progress, before its end", InProgress, 119 * time.Minute, StepNone},
		{"in progress, at its end", InProgress, 2 * time.Hour, StepEnd},
		{"in progress, long after its end", InProgress, 48 * time.Hour, StepEnd},
		{"completed", Completed, 3 * time.Hour, StepNone},
		{"cancelled", Cancelled, 90 * time.Minute, StepNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := window(tc.status)
			if got := m.NextStep(t0.Add(tc.at)); got != tc.want {
				t.Fatalf("NextStep = %v, want %v", got, tc.want)
			}
			if due := m.Due(t0.Add(tc.at)); due != (tc.want != StepNone) {
				t.Fatalf("Due = %v, but NextStep = %v", due, tc.want)
			}
		})
	}
}

func TestStartedAndEnded(t *testing.T) {
	at := t0.Add(61 * time.Minute)
	started := window(Scheduled).Started(at)
	if started.Status != InProgress || !started.StartedAt.Equal(at) || !started.UpdatedAt.Equal(at) ||
		!started.EndedAt.IsZero() || started.Version != 4 {
		t.Fatalf("started = %+v", started)
	}
	end := t0.Add(2*time.Hour + time.Second)
	done := started.Ended(end)
	if done.Status != Completed || !done.StartedAt.Equal(at) || !done.EndedAt.Equal(end) || !done.UpdatedAt.Equal(end) || done.Version != 5 {
		t.Fatalf("ended = %+v", done)
	}
	// A replica whose clock is a little behind never ends it before it
	// started.
	if early := started.Ended(at.Add(-time.Millisecond)); !early.EndedAt.Equal(at) {
		t.Fatalf("ended on a clock behind = %+v, want it ended when it started", early)
	}
	// A window missed entirely ends without a start.
	missed := window(Scheduled).Ended(end)
	if missed.Status != Completed || !missed.StartedAt.IsZero() || !missed.EndedAt.Equal(end) || missed.Version != 4 {
		t.Fatalf("missed window ended = %+v", missed)
	}
}

func TestCancel(t *testing.T) {
	inProgress := window(Scheduled).Started(t0.Add(time.Hour))
	at := t0.Add(90 * time.Minute)

	// In progress: its end moves to now, saved first, then it completes.
	c, err := inProgress.Cancel(at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Moved == nil || !c.Moved.EndsAt.Equal(at) || !c.Moved.UpdatedAt.Equal(at) || c.Moved.Status != InProgress || c.Moved.Version != 5 {
		t.Fatalf("moved = %+v", c.Moved)
	}
	if a := c.After; a.Status != Completed || !a.EndsAt.Equal(at) || !a.EndedAt.Equal(at) || a.Version != 6 {
		t.Fatalf("after = %+v", a)
	}

	// Its end never moves before its start, whatever the clock says.
	c, err = inProgress.Cancel(t0.Add(30 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Hour + time.Microsecond); c.Moved == nil || !c.Moved.EndsAt.Equal(want) {
		t.Fatalf("moved on a clock behind = %+v, want its end just after its start", c.Moved)
	}

	// Past its end (the scheduler has not looked yet): nothing to move.
	c, err = inProgress.Cancel(t0.Add(3 * time.Hour))
	if err != nil || c.Moved != nil || c.After.Status != Completed || !c.After.EndsAt.Equal(inProgress.EndsAt) || c.After.Version != 5 {
		t.Fatalf("cancel past its end = %+v, %v", c, err)
	}

	// Scheduled: cancelled, ended now, never started.
	c, err = window(Scheduled).Cancel(t0)
	if err != nil || c.Moved != nil || c.After.Status != Cancelled || !c.After.EndedAt.Equal(t0) ||
		!c.After.StartedAt.IsZero() || c.After.Version != 4 {
		t.Fatalf("cancel a scheduled window = %+v, %v", c, err)
	}

	for _, s := range []MaintenanceStatus{Completed, Cancelled} {
		var terr *TransitionError
		if _, err := window(s).Cancel(at); !errors.As(err, &terr) {
			t.Errorf("cancel a %s window: err = %v, want a transition error", s, err)
		}
	}
}
