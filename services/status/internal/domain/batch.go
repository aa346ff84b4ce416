package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// IngestState is what a batch of webhook deliveries is applied against: the
// rows of the receivers, services and logs the batch touches, read (and
// locked) at once, then changed in memory one delivery at a time in stream
// order, exactly as applying the deliveries one by one would change them.
// The store reads it, runs Ingest for each delivery and writes what
// changed in bulk.
type IngestState struct {
	// Receivers by id; a receiver missing here has been deleted.
	Receivers map[string]Receiver
	// Recorded holds the log entries already written for deliveries of the
	// batch, by delivery id; Ingest adds those it records.
	Recorded map[string]Delivery
	// Kept is, per receiver, the log order keys of the entries its log
	// keeps, oldest first (at most MaxDeliveries).
	Kept map[string][]LogKey
	// Services by id, and their ids by organisation and lower-case name.
	Services map[string]*Service
	ByName   map[NameKey]string
	// Applied is the newest delivery each receiver applied to each service.
	Applied map[AppliedKey]Applied

	// Dirty lists the services changed, in the order first changed.
	Dirty []string
	// Pruned lists the log entries written before the batch that its
	// deliveries pushed out of their receiver's log, to delete; Unlogged
	// the deliveries of the batch pushed out within it, not to write.
	Pruned   []string
	Unlogged map[string]bool

	added map[string]bool // deliveries recorded by the batch
}

// NewIngestState returns an empty state, for the store to fill.
func NewIngestState() *IngestState {
	return &IngestState{
		Receivers: map[string]Receiver{},
		Recorded:  map[string]Delivery{},
		Kept:      map[string][]LogKey{},
		Services:  map[string]*Service{},
		ByName:    map[NameKey]string{},
		Applied:   map[AppliedKey]Applied{},
		Unlogged:  map[string]bool{},
		added:     map[string]bool{},
	}
}

// LogKey orders a receiver's delivery log: by received_at, then id.
type LogKey struct {
	ReceivedAt time.Time
	ID         string
}

// NameKey locates a service by organisation and name in any case.
type NameKey struct{ OrgID, Name string }

// NewNameKey returns the key of the service named name in org.
func NewNameKey(orgID, name string) NameKey { return NameKey{orgID, strings.ToLower(name)} }

// AppliedKey is a receiver and a service it reports on.
type AppliedKey struct{ ReceiverID, ServiceID string }

// Ingested is what applying one delivery did.
type Ingested struct {
	// Delivery is the delivery's log entry: the one recorded now or, for a
	// duplicate, the one recorded before.
	Delivery Delivery
	// Change is the status change the delivery caused, nil when none.
	Change *Change
	// Service is the service after the delivery, when it reported on one.
	Service *Service
	// Duplicate means the delivery had been recorded already; nothing was
	// written. When its log entry has been pruned since it was applied,
	// Delivery is RepeatedDelivery.
	Duplicate bool
	// Superseded means the delivery was older than the receiver's full log
	// (Superseded); nothing was written.
	Superseded bool
	// Orphan means the receiver has been deleted: nothing was written, and
	// Delivery is OrphanDelivery.
	Orphan bool
	// Recorded means Delivery is to be written to the log; Applied that it
	// became the receiver's newest applied delivery for its service.
	Recorded, Applied bool
}

// Ingest applies one delivery to the state, and returns what it did: the
// delivery is idempotent on its id; a delivery of another organisation's
// receiver is ErrForeignReceiver (nothing changes); otherwise it is
// checked against the receiver's log (Superseded) and against the newest
// delivery the receiver applied to the target service (Applied.Order),
// planned (PlanDelivery) and its report applied (Apply) at at.
func (s *IngestState) Ingest(in Ingest, at time.Time) (Ingested, error) {
	r, ok := s.Receivers[in.ReceiverID]
	if !ok {
		return Ingested{Delivery: OrphanDelivery(in), Orphan: true}, nil
	}
	if r.OrgID != in.OrgID {
		return Ingested{}, fmt.Errorf("receiver %s is of organisation %s, not %s: %w", r.ID, r.OrgID, in.OrgID, ErrForeignReceiver)
	}
	if d, ok := s.Recorded[in.DeliveryID]; ok {
		return Ingested{Delivery: d, Duplicate: true}, nil
	}
	kept := s.Kept[r.ID]
	if len(kept) >= MaxDeliveries && receivedBefore(in, kept[0].ReceivedAt, kept[0].ID) {
		return Ingested{Delivery: SupersededDelivery(in, r), Superseded: true}, nil
	}
	var svc *Service
	if in.Result == Processed {
		svc = s.target(r, in)
	}
	if svc != nil {
		// A receiver's deliveries can be applied out of the order they
		// were received: two status replicas pull them in parallel, or
		// one waits for a retry while a later one goes through. A report
		// older than the one already applied for the service must not
		// undo it; it is logged as ignored instead. Nor is the applied one
		// applied again when its log entry has been pruned.
		if applied, ok := s.Applied[AppliedKey{r.ID, svc.ID}]; ok {
			switch applied.Order(in) {
			case Repeated:
				return Ingested{Delivery: RepeatedDelivery(in, r, applied), Duplicate: true}, nil
			case OutOfOrder:
				res := Ingested{Delivery: OutOfOrderDelivery(in, r, applied), Recorded: true}
				s.record(res.Delivery)
				return res, nil
			}
		}
	}
	d, report := PlanDelivery(in, r, svc, at)
	res := Ingested{Recorded: true}
	if report != nil {
		after, change, outcome := Apply(*svc, *report)
		if outcome == StatusChanged || outcome == DescriptionUpdated {
			s.changed(after)
		}
		d.NewStatus, res.Change, res.Service = after.Status, change, &after
		res.Applied = true
		s.Applied[AppliedKey{r.ID, svc.ID}] = Applied{ReceiverID: r.ID, ServiceID: svc.ID, DeliveryID: d.ID, ReceivedAt: d.ReceivedAt}
	}
	res.Delivery = d
	s.record(d)
	return res, nil
}

// target is the service a delivery of r reports on, nil when there is none.
func (s *IngestState) target(r Receiver, in Ingest) *Service {
	id, name := r.Target(in)
	if id == "" && name != "" {
		id = s.ByName[NewNameKey(r.OrgID, name)]
	}
	svc := s.Services[id]
	if svc == nil || svc.OrgID != r.OrgID {
		return nil
	}
	return svc
}

func (s *IngestState) changed(after Service) {
	if !slices.Contains(s.Dirty, after.ID) {
		s.Dirty = append(s.Dirty, after.ID)
	}
	*s.Services[after.ID] = after
}

// record adds d to its receiver's log, which then keeps its newest
// MaxDeliveries entries: the oldest one goes, from the database if it was
// there before the batch, from the batch's writes if not.
func (s *IngestState) record(d Delivery) {
	s.Recorded[d.ID] = d
	s.added[d.ID] = true
	key := LogKey{d.ReceivedAt, d.ID}
	kept := s.Kept[d.ReceiverID]
	i, _ := slices.BinarySearchFunc(kept, key, compareLogKeys)
	kept = slices.Insert(kept, i, key)
	if len(kept) > MaxDeliveries {
		oldest := kept[0].ID
		kept = kept[1:]
		if s.added[oldest] {
			s.Unlogged[oldest] = true
		} else {
			s.Pruned = append(s.Pruned, oldest)
		}
	}
	s.Kept[d.ReceiverID] = kept
}

func compareLogKeys(a, b LogKey) int {
	if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
