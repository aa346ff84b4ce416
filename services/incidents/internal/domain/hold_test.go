package domain

import (
	"reflect"
	"testing"
)

// Holds of one service, svc_1, by windows mnt_a and mnt_b (mnt_a's plan
// is the one decided), before and after they put it in maintenance.
var (
	degraded = ServiceState{ID: "svc_1", Status: StatusDegraded, Description: "Slow invoices", StatusVersion: 4}
	// inMaintenance is degraded once a window put it in maintenance.
	inMaintenance = ServiceState{ID: "svc_1", Status: StatusMaintenance, Description: "Scheduled maintenance: Upgrade", StatusVersion: 5}
	// byA and byB are the newest status changes when a window made them.
	byA = LastChange{Version: 5, Status: StatusMaintenance, MaintenanceID: "mnt_a"}
	byB = LastChange{Version: 5, Status: StatusMaintenance, MaintenanceID: "mnt_b"}
)

// held is window mid's settled hold of svc_1, giving back degraded.
func held(mid string, version int64) Hold {
	return Hold{MaintenanceID: mid, ServiceID: "svc_1", PreviousStatus: StatusDegraded, PreviousDescription: "Slow invoices", Version: version}
}

// pending is window mid's hold of svc_1 written before its change.
func pending(mid string, version int64) Hold {
	h := held(mid, version)
	h.Pending = true
	return h
}

func ended(h Hold) Hold {
	h.Ended = true
	return h
}

func TestSettlePending(t *testing.T) {
	for _, tc := range []struct {
		name      string
		svc       ServiceState
		last      LastChange
		holds     []Hold
		needsLast bool
		settle    []Settlement
		after     []Hold
	}{
		{
			name: "no pending hold", svc: inMaintenance,
			holds: []Hold{held("mnt_a", 5)}, after: []Hold{held("mnt_a", 5)},
		},
		{
			name: "its change was not made: it stays for its window to retry", svc: degraded,
			holds: []Hold{pending("mnt_a", 4)}, after: []Hold{pending("mnt_a", 4)},
		},
		{
			name: "its window's change is the newest: settled at the service's version", svc: inMaintenance, last: byA,
			holds: []Hold{pending("mnt_a", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Version: 5}}, after: []Hold{held("mnt_a", 5)},
		},
		{
			name: "another window's change is the newest: dropped", svc: inMaintenance, last: byB,
			holds: []Hold{pending("mnt_a", 4), held("mnt_b", 5)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, after: []Hold{held("mnt_b", 5)},
		},
		{
			name: "a report overtook it: dropped", svc: ServiceState{ID: "svc_1", Status: StatusDown, StatusVersion: 6},
			last: LastChange{Version: 6, Status: StatusDown}, holds: []Hold{pending("mnt_a", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, after: []Hold{},
		},
		{
			name: "its window made the change but something came after: dropped", svc: ServiceState{ID: "svc_1", Status: StatusMaintenance, StatusVersion: 6},
			last: byA, holds: []Hold{pending("mnt_a", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, after: []Hold{},
		},
		{
			name: "its window's newest change is a give-back, not an entry: dropped", svc: ServiceState{ID: "svc_1", Status: StatusDegraded, StatusVersion: 5},
			last: LastChange{Version: 5, Status: StatusDegraded, MaintenanceID: "mnt_a"}, holds: []Hold{pending("mnt_a", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, after: []Hold{},
		},
		{
			name: "no history: dropped", svc: inMaintenance,
			holds: []Hold{pending("mnt_a", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, after: []Hold{},
		},
		{
			name: "two windows failed halfway: the one whose change is the newest holds it", svc: inMaintenance, last: byB,
			holds: []Hold{pending("mnt_a", 4), pending("mnt_b", 4)}, needsLast: true,
			settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}, {Hold: pending("mnt_b", 4), Version: 5}},
			after:  []Hold{held("mnt_b", 5)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsLastChange(tc.svc, tc.holds); got != tc.needsLast {
				t.Errorf("NeedsLastChange = %v, want %v", got, tc.needsLast)
			}
			settle, after := SettlePending(tc.svc, tc.last, tc.holds)
			if !reflect.DeepEqual(settle, tc.settle) {
				t.Errorf("settle = %+v\nwant %+v", settle, tc.settle)
			}
			if !reflect.DeepEqual(after, tc.after) {
				t.Errorf("holds after = %+v\nwant %+v", after, tc.after)
			}
		})
	}
}

func TestPlanEnter(t *testing.T) {
	a := Maintenance{ID: "mnt_a", Title: "Upgrade"}
	// set is mnt_a's pending hold of a service that is s now.
	set := func(s ServiceState) Hold {
		return Hold{MaintenanceID: "mnt_a", ServiceID: s.ID, PreviousStatus: s.Status, PreviousDescription: s.Description, Version: s.StatusVersion, Pending: true}
	}
	const desc = "Scheduled maintenance: Upgrade"
	down := ServiceState{ID: "svc_1", Status: StatusDown, Description: "Disk failure", StatusVersion: 6}
	for _, tc := range []struct {
		name  string
		svc   *ServiceState
		last  LastChange
		holds []Hold
		want  EnterPlan
	}{
		{
			name: "a deleted service is forgotten",
			want: EnterPlan{Action: EnterForget},
		},
		{
			name: "enter: the status and description it has are what to give back", svc: &degraded,
			want: EnterPlan{Action: EnterSet, Hold: set(degraded), Description: desc},
		},
		{
			name: "held already: nothing to do", svc: &inMaintenance, holds: []Hold{held("mnt_a", 5)},
			want: EnterPlan{Action: EnterNone},
		},
		{
			name: "held and given back already: nothing to do", svc: &degraded, holds: []Hold{ended(held("mnt_a", 5))},
			want: EnterPlan{Action: EnterNone},
		},
		{
			name: "overlapping windows share a stay: it gives back what the other does", svc: &inMaintenance,
			holds: []Hold{held("mnt_b", 5)},
			want:  EnterPlan{Action: EnterShare, Hold: held("mnt_a", 5)},
		},
		{
			name: "another window that ended is not shared", svc: &inMaintenance,
			holds: []Hold{ended(held("mnt_b", 5))},
			want: EnterPlan{Action: EnterAlready, Hold: Hold{
				MaintenanceID: "mnt_a", ServiceID: "svc_1", PreviousStatus: StatusMaintenance,
				PreviousDescription: inMaintenance.Description, Version: 5,
			}},
		},
		{
			name: "another window's hold from before a change made during it is not shared", svc: &down,
			holds: []Hold{held("mnt_b", 5)},
			want:  EnterPlan{Action: EnterSet, Hold: set(down), Description: desc},
		},
		{
			name: "put in maintenance by something else: that is what to give back",
			svc:  &ServiceState{ID: "svc_1", Status: StatusMaintenance, Description: "Manual", StatusVersion: 7},
			want: EnterPlan{Action: EnterAlready, Hold: Hold{
				MaintenanceID: "mnt_a", ServiceID: "svc_1", PreviousStatus: StatusMaintenance, PreviousDescription: "Manual", Version: 7,
			}},
		},
		{
			name: "a start that failed before the change resumes: enter again", svc: &degraded,
			holds: []Hold{pending("mnt_a", 4)},
			want:  EnterPlan{Action: EnterSet, Hold: set(degraded), Description: desc},
		},
		{
			name: "a start that failed after the change resumes: settled, nothing more", svc: &inMaintenance, last: byA,
			holds: []Hold{pending("mnt_a", 4)},
			want:  EnterPlan{Settle: []Settlement{{Hold: pending("mnt_a", 4), Version: 5}}, Action: EnterNone},
		},
		{
			name: "a start that failed and was overtaken by a report: enter from the report", svc: &down,
			last: LastChange{Version: 6, Status: StatusDown}, holds: []Hold{pending("mnt_a", 4)},
			want: EnterPlan{
				Settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}},
				Action: EnterSet, Hold: set(down), Description: desc,
			},
		},
		{
			name: "another window's start that failed after its change is settled and shared", svc: &inMaintenance, last: byB,
			holds: []Hold{pending("mnt_b", 4)},
			want: EnterPlan{
				Settle: []Settlement{{Hold: pending("mnt_b", 4), Version: 5}},
				Action: EnterShare, Hold: held("mnt_a", 5),
			},
		},
		{
			name: "another window's start that failed before its change is left to it", svc: &degraded,
			holds: []Hold{pending("mnt_b", 4)},
			want:  EnterPlan{Action: EnterSet, Hold: set(degraded), Description: desc},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlanEnter(a, tc.svc, tc.last, tc.holds); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan = %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// The window that entered second, once the first failed before its
	// change: the first's retry finds the second's change the newest, and
	// shares it.
	first := PlanEnter(Maintenance{ID: "mnt_b"}, &inMaintenance, byA, []Hold{pending("mnt_b", 4), held("mnt_a", 5)})
	want := EnterPlan{
		Settle: []Settlement{{Hold: pending("mnt_b", 4), Drop: true}},
		Action: EnterShare, Hold: held("mnt_b", 5),
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("retry of a start overtaken by another window = %+v\nwant %+v", first, want)
	}
}

func TestSettled(t *testing.T) {
	if got := pending("mnt_a", 4).Settled(5); got != held("mnt_a", 5) {
		t.Fatalf("settled = %+v", got)
	}
}

func TestPlanLeave(t *testing.T) {
	for _, tc := range []struct {
		name     string
		holds    []Hold
		needsSvc bool
		svc      *ServiceState
		last     LastChange
		want     LeavePlan
	}{
		{
			name: "not held (a window missed entirely, say): nothing to do",
			want: LeavePlan{Action: LeaveNone},
		},
		{
			name:  "given back already: nothing to do",
			holds: []Hold{ended(held("mnt_a", 5))},
			want:  LeavePlan{Action: LeaveNone},
		},
		{
			name:  "alone: give back the status and description it had, if it is still at its version",
			holds: []Hold{held("mnt_a", 5)},
			want:  LeavePlan{Action: LeaveGiveBack, Hold: ended(held("mnt_a", 5))},
		},
		{
			name:  "another window still holds it: it gives the status back when it ends",
			holds: []Hold{held("mnt_a", 5), held("mnt_b", 5)},
			want:  LeavePlan{Action: LeaveShared, Hold: ended(held("mnt_a", 5))},
		},
		{
			name:  "the last of overlapping windows to end gives the status back",
			holds: []Hold{held("mnt_a", 5), ended(held("mnt_b", 5))},
			want:  LeavePlan{Action: LeaveGiveBack, Hold: ended(held("mnt_a", 5))},
		},
		{
			name:  "another window holding it since a change made during this one does not share",
			holds: []Hold{held("mnt_a", 5), held("mnt_b", 7)},
			want:  LeavePlan{Action: LeaveGiveBack, Hold: ended(held("mnt_a", 5))},
		},
		{
			name:  "another window's start that failed halfway does not share",
			holds: []Hold{held("mnt_a", 5), pending("mnt_b", 5)},
			want:  LeavePlan{Action: LeaveGiveBack, Hold: ended(held("mnt_a", 5))},
		},
		{
			name:  "a start that failed halfway on a deleted service: forgotten",
			holds: []Hold{pending("mnt_a", 4)}, needsSvc: true,
			want: LeavePlan{Action: LeaveForget},
		},
		{
			name:  "a start that failed before the change: forgotten, nothing to give back",
			holds: []Hold{pending("mnt_a", 4)}, needsSvc: true, svc: &degraded,
			want: LeavePlan{Action: LeaveForget},
		},
		{
			name:  "a start that failed after the change: settled from history, then given back",
			holds: []Hold{pending("mnt_a", 4)}, needsSvc: true, svc: &inMaintenance, last: byA,
			want: LeavePlan{
				Settle: []Settlement{{Hold: pending("mnt_a", 4), Version: 5}},
				Action: LeaveGiveBack, Hold: ended(held("mnt_a", 5)),
			},
		},
		{
			name:  "a start that failed and was overtaken by a report: dropped, the report stands",
			holds: []Hold{pending("mnt_a", 4)}, needsSvc: true,
			svc: &ServiceState{ID: "svc_1", Status: StatusDown, StatusVersion: 6}, last: LastChange{Version: 6, Status: StatusDown},
			want: LeavePlan{Settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}}, Action: LeaveNone},
		},
		{
			name:  "another window's pending hold is settled along with this one's",
			holds: []Hold{pending("mnt_a", 4), pending("mnt_b", 4)}, needsSvc: true, svc: &inMaintenance, last: byB,
			want: LeavePlan{
				Settle: []Settlement{{Hold: pending("mnt_a", 4), Drop: true}, {Hold: pending("mnt_b", 4), Version: 5}},
				Action: LeaveNone,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LeaveNeedsService("mnt_a", tc.holds); got != tc.needsSvc {
				t.Errorf("LeaveNeedsService = %v, want %v", got, tc.needsSvc)
			}
			if got := PlanLeave("mnt_a", tc.svc, tc.last, tc.holds); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
