package domain

import (
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// MaxPayload is how much of a body a published delivery carries (64 KiB);
// the delivery log keeps no more.
const MaxPayload = 64 << 10

// DeliveryResult is the gateway's verdict on a delivery, by its REST name.
type DeliveryResult string

// The results of a delivery.
const (
	// ResultProcessed: the payload holds a status report to apply.
	ResultProcessed DeliveryResult = "processed"
	// ResultIgnored: the payload is JSON but holds no usable report.
	ResultIgnored DeliveryResult = "ignored"
	// ResultFailed: the payload is not JSON.
	ResultFailed DeliveryResult = "failed"
	// ResultAuthFailed: the signature is missing or wrong.
	ResultAuthFailed DeliveryResult = "auth_failed"
)

// Status is an upstate status, by its REST name.
type Status string

// The statuses a status word maps to.
const (
	StatusOperational Status = webhook.StatusOperational
	StatusDegraded    Status = webhook.StatusDegraded
	StatusDown        Status = webhook.StatusDown
	StatusMaintenance Status = webhook.StatusMaintenance
)

// Delivery is one webhook delivery and the gateway's verdict on it.
type Delivery struct {
	// ID is the delivery id, "dlv_…".
	ID         string
	Receiver   *Receiver
	ReceivedAt time.Time
	SourceIP   string
	Body       []byte
	Verdict    Verdict
	// ReplySubject, when set, asks the status service for a DeliveryOutcome.
	ReplySubject string
}

// AuthFailed is the verdict on a delivery whose signature does not verify.
func AuthFailed(reason string) Verdict {
	return Verdict{Result: ResultAuthFailed, Reason: reason}
}

// Payload is the part of the body the delivery carries to the status
// service: at most MaxPayload bytes, and whether it was cut.
func (d Delivery) Payload() (payload []byte, truncated bool) {
	if len(d.Body) > MaxPayload {
		return d.Body[:MaxPayload], true
	}
	return d.Body, false
}
