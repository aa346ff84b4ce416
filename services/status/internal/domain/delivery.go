package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDeliveries is how many deliveries a receiver's log keeps.
const MaxDeliveries = 50

// DeliveryResult is what became of a webhook delivery.
type DeliveryResult string

// The results of a delivery.
const (
	// Processed: the report was applied, whether it changed the status or not.
	Processed DeliveryResult = "processed"
	// Ignored: readable, but without a usable status or service.
	Ignored DeliveryResult = "ignored"
	// Failed: the payload could not be read.
	Failed DeliveryResult = "failed"
	// AuthFailed: the signature was missing or wrong.
	AuthFailed DeliveryResult = "auth_failed"
)

// Ingest is a webhook delivery as the gateway interpreted it.
type Ingest struct {
	DeliveryID       string
	OrgID            string
	ReceiverID       string
	ReceivedAt       time.Time
	SourceIP         string
	Payload          []byte
	PayloadTruncated bool
	// Result is Processed when the report is to be applied, otherwise the
	// gateway's verdict, logged as it is.
	Result    DeliveryResult
	Error     string
	RawStatus string
	// MappedStatus is empty when the raw status mapped to nothing.
	MappedStatus Status
	// ServiceName is the value at the receiver's service_name_field.
	ServiceName string
	// Message is the value at the receiver's message_field.
	Message string
}

// ErrMalformedIngest is wrapped by Ingest.Check.
var ErrMalformedIngest = errors.New("malformed ingest event")

// Check reports an event that can never be applied: without the ids that
// locate it, or with an unknown result.
func (in Ingest) Check() error {
	switch {
	case in.DeliveryID == "":
		return fmt.Errorf("%w: no delivery_id", ErrMalformedIngest)
	case in.OrgID == "" || in.ReceiverID == "":
		return fmt.Errorf("%w: no org_id or receiver_id", ErrMalformedIngest)
	}
	switch in.Result {
	case Processed, Ignored, Failed, AuthFailed:
		return nil
	}
	return fmt.Errorf("%w: result %q", ErrMalformedIngest, in.Result)
}

// Delivery is one entry of a receiver's delivery log.
type Delivery struct {
	ID               string
	ReceiverID       string
	OrgID            string
	ReceivedAt       time.Time
	SourceIP         string
	Payload          []byte
	PayloadTruncated bool
	Result           DeliveryResult
	Error            string
	RawStatus        string
	// The statuses are empty when they do not apply: MappedStatus when the
	// raw status mapped to nothing, the others when no report was applied.
	MappedStatus   Status
	PreviousStatus Status
	NewStatus      Status
	ServiceID      string
}

// Target names the service a delivery reports on: the receiver's fixed
// service, else the service name found in the payload. Both are empty when
// there is neither.
func (r Receiver) Target(in Ingest) (serviceID, serviceName string) {
	if r.ServiceID != "" {
		return r.ServiceID, ""
	}
	if r.ServiceNameField != "" {
		return "", strings.TrimSpace(in.ServiceName)
	}
	return "", ""
}

// PlanDelivery turns a delivery of receiver r into its log entry and, when
// it reports a status to apply, the report (made at time at). svc is the
// delivery's target service (see Receiver.Target), nil when there is no
// such service. The entry's statuses assume the report is applied; Apply
// always leaves the service in the reported status.
func PlanDelivery(in Ingest, r Receiver, svc *Service, at time.Time) (Delivery, *Report) {
	d := newDelivery(in, r)
	if in.Result != Processed {
		return d, nil
	}
	ignore := func(format string, args ...any) (Delivery, *Report) {
		d.Result, d.Error = Ignored, fmt.Sprintf(format, args...)
		return d, nil
	}
	if !r.Enabled {
		return ignore("receiver is disabled")
	}
	if in.MappedStatus == "" {
		if in.RawStatus == "" {
			return ignore("no status at %q", r.StatusField)
		}
		return ignore("status %q maps to no status", in.RawStatus)
	}
	if svc == nil {
		id, name := r.Target(in)
		switch {
		case id != "":
			return ignore("service %s not found", id)
		case name != "":
			return ignore("no service named %q", name)
		case r.ServiceNameField != "":
			return ignore("no service name at %q", r.ServiceNameField)
		default:
			return ignore("receiver has no service (its service was deleted)")
		}
	}
	d.ServiceID = svc.ID
	d.PreviousStatus = svc.Status
	d.NewStatus = in.MappedStatus
	report := &Report{
		Status: in.MappedStatus,
		Source: SourceWebhook,
		Actor:  r.ID,
		At:     at,
		Webhook: &WebhookCause{
			ReceiverID: r.ID, DeliveryID: in.DeliveryID, AutoIncident: r.AutoIncident,
		},
	}
	// No message keeps the current description on a repeated status, as a
	// report without a description does.
	if msg := strings.TrimSpace(in.Message); msg != "" {
		msg = truncateRunes(msg, MaxDescriptionLen)
		report.Description = &msg
	}
	return d, report
}

// truncateRunes cuts s to at most n runes. A sender's message longer than a
// description may be is kept in part rather than refused: the delivery has
// been accepted already.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// Superseded reports whether a delivery is older, in log order (received_at,
// then id), than oldest, the oldest delivery a full log keeps: recorded, it
// would be pruned at once. Such a delivery is neither applied nor recorded.
// Its report is older than the receiver's last MaxDeliveries deliveries,
// which supersede it; and a redelivered event whose entry has been pruned
// cannot be recognised by its id any more, so it must not be applied again.
func Superseded(in Ingest, oldest Delivery) bool {
	return receivedBefore(in, oldest.ReceivedAt, oldest.ID)
}

// receivedBefore reports whether in comes before the delivery id received
// at, in log order.
func receivedBefore(in Ingest, at time.Time, id string) bool {
	if !in.ReceivedAt.Equal(at) {
		return in.ReceivedAt.Before(at)
	}
	return in.DeliveryID < id
}

// Applied is the newest delivery of a receiver applied to a service, in
// log order. It is kept for as long as both exist, not only while the
// delivery is in the receiver's log: deliveries of one receiver can be
// applied out of the order they were received (two replicas, a retry
// overtaken), and a report older than the one applied must not undo it.
type Applied struct {
	ReceiverID string
	ServiceID  string
	DeliveryID string
	ReceivedAt time.Time
}

// Order is where a delivery stands against the newest one its receiver
// applied to the same service.
type Order int

// The orders of a delivery.
const (
	// InOrder: newer than the applied one; it is applied.
	InOrder Order = iota
	// Repeated: the applied delivery itself, whose log entry has been
	// pruned; nothing is applied or logged.
	Repeated
	// OutOfOrder: received before the applied one; it is logged as ignored
	// (OutOfOrderDelivery) and not applied.
	OutOfOrder
)

// Order returns where in stands against a, the newest delivery applied to
// in's service. A repeated delivery id is recognised whatever its
// received_at says.
func (a Applied) Order(in Ingest) Order {
	switch {
	case in.DeliveryID == a.DeliveryID:
		return Repeated
	case receivedBefore(in, a.ReceivedAt, a.DeliveryID):
		return OutOfOrder
	}
	return InOrder
}

// SupersededDelivery is the entry answered, not logged, for a superseded
// delivery.
func SupersededDelivery(in Ingest, r Receiver) Delivery {
	d := newDelivery(in, r)
	d.Result = Ignored
	d.Error = fmt.Sprintf("older than the receiver's last %d deliveries; not applied", MaxDeliveries)
	return d
}

// OutOfOrderDelivery is the entry logged for a delivery received before
// newer, a delivery of the same receiver already applied to the service.
func OutOfOrderDelivery(in Ingest, r Receiver, newer Applied) Delivery {
	d := newDelivery(in, r)
	d.Result = Ignored
	d.ServiceID = newer.ServiceID
	d.Error = fmt.Sprintf("received before %s, which was already applied; not applied out of order", newer.DeliveryID)
	return d
}

// RepeatedDelivery is the entry answered, not logged, for another copy of
// applied, the delivery last applied to the service, after its log entry
// was pruned.
func RepeatedDelivery(in Ingest, r Receiver, applied Applied) Delivery {
	d := newDelivery(in, r)
	d.ReceivedAt = applied.ReceivedAt
	d.Result = Ignored
	d.ServiceID = applied.ServiceID
	d.Error = "already applied; not applied again"
	return d
}

// newDelivery is the log entry of in as the gateway saw it.
func newDelivery(in Ingest, r Receiver) Delivery {
	return Delivery{
		ID: in.DeliveryID, ReceiverID: r.ID, OrgID: r.OrgID, ReceivedAt: in.ReceivedAt,
		SourceIP: in.SourceIP, Payload: in.Payload, PayloadTruncated: in.PayloadTruncated,
		Result: in.Result, Error: in.Error, RawStatus: in.RawStatus, MappedStatus: in.MappedStatus,
	}
}

// OrphanDelivery is the entry answered, not logged, for a delivery whose
// receiver was deleted after the gateway accepted it.
func OrphanDelivery(in Ingest) Delivery {
	d := newDelivery(in, Receiver{ID: in.ReceiverID, OrgID: in.OrgID})
	d.Result, d.Error = Ignored, "receiver not found"
	return d
}
