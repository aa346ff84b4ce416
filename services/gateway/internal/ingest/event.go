package ingest

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// MaxPayload is how much of a body an IngestEvent carries (64 KiB); the
// delivery log keeps no more.
const MaxPayload = 64 << 10

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
	return Verdict{Result: statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED, Reason: reason}
}

// Event returns the delivery as the IngestEvent the status service consumes.
func (d Delivery) Event() *ingestv1.IngestEvent {
	payload, truncated := d.Body, false
	if len(payload) > MaxPayload {
		payload, truncated = payload[:MaxPayload], true
	}
	return &ingestv1.IngestEvent{
		DeliveryId:       d.ID,
		OrgId:            d.Receiver.OrgID,
		ReceiverId:       d.Receiver.ID,
		ReceivedAt:       timestamppb.New(d.ReceivedAt),
		SourceIp:         d.SourceIP,
		Payload:          payload,
		PayloadTruncated: truncated,
		Result:           d.Verdict.Result,
		Error:            d.Verdict.Reason,
		RawStatus:        d.Verdict.RawStatus,
		MappedStatus:     d.Verdict.Mapped,
		ServiceName:      d.Verdict.ServiceName,
		Message:          d.Verdict.Message,
		ReplySubject:     d.ReplySubject,
	}
}
