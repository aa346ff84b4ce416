package domain

// Hold is what a maintenance window holds of one of its services: the
// status and description to give back at its end, and the service's status
// version once in maintenance.
type Hold struct {
	// MaintenanceID is the window holding the service.
	MaintenanceID       string
	ServiceID           string
	PreviousStatus      ServiceStatus
	PreviousDescription string
	// Version is the service's status version (the version of the event
	// that set its status) once in maintenance, or, while Pending, the one
	// it had before. Edits of the service's name or description do not
	// change it.
	Version int64
	// Pending is set from just before the service is put in maintenance
	// until the version it reached is recorded.
	Pending bool
	// Ended is set once the window's end dealt with the service.
	Ended bool
}

// ServiceState is a service as the status service has it.
type ServiceState struct {
	ID          string
	Status      ServiceStatus
	Description string
	// StatusVersion is the version of the event that set its status.
	StatusVersion int64
}

// LastChange is the newest entry of a service's status history (zero when
// it has none).
type LastChange struct {
	Version int64
	Status  ServiceStatus
	// MaintenanceID is the window that made the change; empty when
	// something else did.
	MaintenanceID string
}

// Settlement is what becomes of a pending hold whose service's status moved
// on since it was written.
type Settlement struct {
	// Hold is the pending hold.
	Hold Hold
	// Drop means its change never took effect or was overtaken: the hold is
	// forgotten. Otherwise its window holds the service at Version.
	Drop    bool
	Version int64
}

// NeedsLastChange reports whether settling the pending holds among holds
// needs the service's newest status change: one of them was written at a
// status version the service has left since.
func NeedsLastChange(svc ServiceState, holds []Hold) bool {
	for _, h := range holds {
		if h.Pending && h.Version != svc.StatusVersion {
			return true
		}
	}
	return false
}

// SettlePending settles the pending holds, of any window, of a service
// whose status moved on since they were written, and returns what to write
// and the holds as they are afterwards. The window whose maintenance change
// is the newest in the service's history (last) holds the service at that
// version; any other pending hold's change never took effect or was
// overtaken, and is dropped. A pending hold at the current status version
// (its change was not made) stays, for its window to retry. last matters
// only when NeedsLastChange says so.
func SettlePending(svc ServiceState, last LastChange, holds []Hold) ([]Settlement, []Hold) {
	var settle []Settlement
	after := make([]Hold, 0, len(holds))
	for _, h := range holds {
		if !h.Pending || h.Version == svc.StatusVersion {
			after = append(after, h)
			continue
		}
		if last.Version == svc.StatusVersion && last.Status == StatusMaintenance && last.MaintenanceID == h.MaintenanceID {
			settle = append(settle, Settlement{Hold: h, Version: svc.StatusVersion})
			h.Pending, h.Version = false, svc.StatusVersion
			after = append(after, h)
			continue
		}
		settle = append(settle, Settlement{Hold: h, Drop: true})
	}
	return settle, after
}

// EnterAction is what a window's start does to one of its services.
type EnterAction int

// The actions of a window's start on a service.
const (
	// EnterNone: the window holds the service already.
	EnterNone EnterAction = iota
	// EnterForget: the service was deleted; the window forgets it.
	EnterForget
	// EnterShare: another window holds the service in maintenance at its
	// current version. The window records Hold, which gives back what the
	// other one does: they share one stay in maintenance, and the last of
	// them to end gives the status back.
	EnterShare
	// EnterAlready: something other than a window put the service in
	// maintenance. The window records Hold, which gives that back.
	EnterAlready
	// EnterSet: the window records Hold (pending), sets the service's status
	// to maintenance with Description on condition that its status version
	// is still Hold.Version, and then settles Hold at the version reached.
	EnterSet
)

// EnterPlan is what a window's start does to one of its services.
type EnterPlan struct {
	// Settle are the pending holds, of any window, to settle first.
	Settle []Settlement
	Action EnterAction
	// Hold is the window's hold to record (EnterShare, EnterAlready,
	// EnterSet).
	Hold Hold
	// Description is the service's status description in maintenance
	// (EnterSet).
	Description string
}

// PlanEnter decides what the start of window m does to a service: svc as
// the status service has it (nil: deleted), holds every window's holds of
// it that have not ended (and m's own, ended or not), and last its newest
// status change if NeedsLastChange says it matters.
func PlanEnter(m Maintenance, svc *ServiceState, last LastChange, holds []Hold) EnterPlan {
	if svc == nil {
		return EnterPlan{Action: EnterForget}
	}
	settle, holds := SettlePending(*svc, last, holds)
	p := EnterPlan{Settle: settle}
	if own, held := holdOf(holds, m.ID); held && !own.Pending {
		return p
	}
	p.Hold = Hold{
		MaintenanceID: m.ID, ServiceID: svc.ID, PreviousStatus: svc.Status,
		PreviousDescription: svc.Description, Version: svc.StatusVersion,
	}
	if shared, ok := sharedHold(holds, m.ID, svc.StatusVersion); ok {
		p.Action = EnterShare
		p.Hold.PreviousStatus, p.Hold.PreviousDescription = shared.PreviousStatus, shared.PreviousDescription
		return p
	}
	if svc.Status == StatusMaintenance {
		p.Action = EnterAlready
		return p
	}
	p.Action, p.Hold.Pending = EnterSet, true
	p.Description = "Scheduled maintenance: " + m.Title
	return p
}

// Settled returns the pending hold h once its service reached version.
func (h Hold) Settled(version int64) Hold {
	h.Pending, h.Version = false, version
	return h
}

// LeaveAction is what a window's end does to one of its services.
type LeaveAction int

// The actions of a window's end on a service.
const (
	// LeaveNone: the window does not hold the service (any more), or its
	// end dealt with it already.
	LeaveNone LeaveAction = iota
	// LeaveForget: the window forgets the service: it was deleted, or the
	// window's start never put it in maintenance.
	LeaveForget
	// LeaveShared: another window still holds the service at the same
	// version and gives the status back when it ends; the window records
	// Hold, ended.
	LeaveShared
	// LeaveGiveBack: the window sets the service's status back to
	// Hold.PreviousStatus with Hold.PreviousDescription on condition that
	// its status version is still Hold.Version — if it is not, the service
	// changed during the window and is left as it is: that change stands —
	// and then records Hold, ended.
	LeaveGiveBack
)

// LeavePlan is what a window's end does to one of its services.
type LeavePlan struct {
	// Settle are the pending holds, of any window, to settle first.
	Settle []Settlement
	Action LeaveAction
	// Hold is the window's hold to give back (LeaveGiveBack), marked
	// ended: what to record once the service left (LeaveShared,
	// LeaveGiveBack).
	Hold Hold
}

// LeaveNeedsService reports whether the end of window maintenanceID needs
// the service read from the status service: the window's start on it
// failed halfway (its hold is pending), and whether it went into
// maintenance is for the service to say.
func LeaveNeedsService(maintenanceID string, holds []Hold) bool {
	own, held := holdOf(holds, maintenanceID)
	return held && own.Pending
}

// PlanLeave decides what the end of window maintenanceID does to a
// service: holds are every window's holds of it that have not ended (and
// the window's own, ended or not); svc (nil: deleted) and last its newest
// status change matter only when LeaveNeedsService and NeedsLastChange say
// so.
func PlanLeave(maintenanceID string, svc *ServiceState, last LastChange, holds []Hold) LeavePlan {
	var p LeavePlan
	if LeaveNeedsService(maintenanceID, holds) {
		if svc == nil {
			return LeavePlan{Action: LeaveForget}
		}
		p.Settle, holds = SettlePending(*svc, last, holds)
		if own, held := holdOf(holds, maintenanceID); held && own.Pending {
			p.Action = LeaveForget // its change was never made
			return p
		}
	}
	own, held := holdOf(holds, maintenanceID)
	if !held || own.Ended {
		return p
	}
	p.Action, p.Hold = LeaveGiveBack, own
	if _, ok := sharedHold(holds, maintenanceID, own.Version); ok {
		p.Action = LeaveShared
	}
	p.Hold.Ended = true
	return p
}

// holdOf returns the hold of window maintenanceID among holds.
func holdOf(holds []Hold, maintenanceID string) (Hold, bool) {
	for _, h := range holds {
		if h.MaintenanceID == maintenanceID {
			return h, true
		}
	}
	return Hold{}, false
}

// sharedHold returns another window's settled hold, not ended, at version:
// windows overlapping on a service share one stay in maintenance.
func sharedHold(holds []Hold, maintenanceID string, version int64) (Hold, bool) {
	for _, h := range holds {
		if h.MaintenanceID != maintenanceID && h.Version == version && !h.Pending && !h.Ended {
			return h, true
		}
	}
	return Hold{}, false
}
