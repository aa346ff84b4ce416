// Package pbconv converts between the gateway's domain and the protobuf
// messages it exchanges: the receivers the status service resolves, the
// IngestEvent the gateway publishes for a delivery and the delivery
// outcomes it waits for.
package pbconv

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/enum"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/webhook"
)

var toProtoStatus = map[domain.Status]statusv1.Status{
	domain.StatusOperational: statusv1.Status_STATUS_OPERATIONAL,
	domain.StatusDegraded:    statusv1.Status_STATUS_DEGRADED,
	domain.StatusDown:        statusv1.Status_STATUS_DOWN,
	domain.StatusMaintenance: statusv1.Status_STATUS_MAINTENANCE,
}

var toProtoResult = map[domain.DeliveryResult]statusv1.DeliveryResult{
	domain.ResultProcessed:  statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
	domain.ResultIgnored:    statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED,
	domain.ResultFailed:     statusv1.DeliveryResult_DELIVERY_RESULT_FAILED,
	domain.ResultAuthFailed: statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED,
}

// Status converts a domain status; "" becomes UNSPECIFIED.
func Status(s domain.Status) statusv1.Status { return toProtoStatus[s] }

// DomainStatus converts a protobuf status: "" for UNSPECIFIED or a value
// newer than this code.
func DomainStatus(s statusv1.Status) domain.Status {
	d, _ := enum.Reverse(toProtoStatus, s)
	return d
}

// Result converts a delivery result; "" becomes UNSPECIFIED.
func Result(r domain.DeliveryResult) statusv1.DeliveryResult { return toProtoResult[r] }

// DomainResult converts a protobuf delivery result: "" for UNSPECIFIED or
// a value newer than this code.
func DomainResult(r statusv1.DeliveryResult) domain.DeliveryResult {
	d, _ := enum.Reverse(toProtoResult, r)
	return d
}

// Receiver converts a receiver resolved by the status service.
func Receiver(pb *statusv1.Receiver) domain.ReceiverConfig {
	c := domain.ReceiverConfig{
		ID:               pb.GetId(),
		OrgID:            pb.GetOrgId(),
		Enabled:          pb.GetEnabled(),
		ServiceID:        pb.GetServiceId(),
		StatusField:      pb.GetStatusField(),
		ServiceNameField: pb.GetServiceNameField(),
		MessageField:     pb.GetMessageField(),
		StatusMapping:    pb.GetStatusMapping(),
	}
	if s := pb.GetSignature(); s != nil {
		c.Signature = &webhook.Signature{Secret: s.GetSecret(), Header: s.GetHeader(), Scheme: webhook.Scheme(s.GetScheme())}
	}
	return c
}

// Ingest converts a delivery to the IngestEvent the status service
// consumes.
func Ingest(d domain.Delivery) *ingestv1.IngestEvent {
	payload, truncated := d.Payload()
	return &ingestv1.IngestEvent{
		DeliveryId:       d.ID,
		OrgId:            d.Receiver.OrgID,
		ReceiverId:       d.Receiver.ID,
		ReceivedAt:       timestamppb.New(d.ReceivedAt),
		SourceIp:         d.SourceIP,
		Payload:          payload,
		PayloadTruncated: truncated,
		Result:           Result(d.Verdict.Result),
		Error:            d.Verdict.Reason,
		RawStatus:        d.Verdict.RawStatus,
		MappedStatus:     Status(d.Verdict.Mapped),
		ServiceName:      d.Verdict.ServiceName,
		Message:          d.Verdict.Message,
		ReplySubject:     d.ReplySubject,
	}
}
