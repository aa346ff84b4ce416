package pbconv

import (
	"maps"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/enum"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

var toProtoSeverity = map[domain.Severity]statusv1.Severity{
	domain.SeverityMinor:    statusv1.Severity_SEVERITY_MINOR,
	domain.SeverityMajor:    statusv1.Severity_SEVERITY_MAJOR,
	domain.SeverityCritical: statusv1.Severity_SEVERITY_CRITICAL,
}

var toProtoResult = map[domain.DeliveryResult]statusv1.DeliveryResult{
	domain.Processed:  statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
	domain.Ignored:    statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED,
	domain.Failed:     statusv1.DeliveryResult_DELIVERY_RESULT_FAILED,
	domain.AuthFailed: statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED,
}

// DomainSeverity converts a protobuf severity: "" for UNSPECIFIED (the
// default), and an unknown value as its number, which validation refuses.
func DomainSeverity(s statusv1.Severity) domain.Severity {
	if s == statusv1.Severity_SEVERITY_UNSPECIFIED {
		return ""
	}
	if d, ok := enum.Reverse(toProtoSeverity, s); ok {
		return d
	}
	return domain.Severity(strconv.Itoa(int(s)))
}

// DomainResult converts a protobuf delivery result: "" for UNSPECIFIED, an
// unknown value as its number; domain.Ingest.Check refuses both.
func DomainResult(r statusv1.DeliveryResult) domain.DeliveryResult {
	if r == statusv1.DeliveryResult_DELIVERY_RESULT_UNSPECIFIED {
		return ""
	}
	if d, ok := enum.Reverse(toProtoResult, r); ok {
		return d
	}
	return domain.DeliveryResult(strconv.Itoa(int(r)))
}

// AutoIncident converts a receiver's automatic-incident setting.
func AutoIncident(a domain.AutoIncident) *statusv1.AutoIncident {
	return &statusv1.AutoIncident{Enabled: a.Enabled, Severity: toProtoSeverity[a.Severity]}
}

// ReceiverSpec converts the settings of a create or update request.
func ReceiverSpec(s *statusv1.ReceiverSpec) domain.ReceiverSpec {
	spec := domain.ReceiverSpec{
		Name:             s.GetName(),
		Enabled:          s.GetEnabled(),
		ServiceID:        s.GetServiceId(),
		ServiceNameField: s.GetServiceNameField(),
		StatusField:      s.GetStatusField(),
		MessageField:     s.GetMessageField(),
		StatusMapping:    maps.Clone(s.GetStatusMapping()),
		AutoIncident: domain.AutoIncident{
			Enabled:  s.GetAutoIncident().GetEnabled(),
			Severity: DomainSeverity(s.GetAutoIncident().GetSeverity()),
		},
	}
	if sig := s.GetSignature(); sig != nil {
		spec.Signature = &domain.Signature{Secret: sig.GetSecret(), Header: sig.GetHeader(), Scheme: sig.GetScheme()}
	}
	return spec
}

// Receiver converts a receiver. Its signature secret is included only with
// withSecret, for the gateway's ResolveReceiver; every other answer carries
// the header and scheme alone.
func Receiver(r domain.Receiver, withSecret bool) *statusv1.Receiver {
	out := &statusv1.Receiver{
		Id:               r.ID,
		OrgId:            r.OrgID,
		Name:             r.Name,
		Enabled:          r.Enabled,
		ServiceId:        r.ServiceID,
		ServiceNameField: r.ServiceNameField,
		StatusField:      r.StatusField,
		MessageField:     r.MessageField,
		StatusMapping:    maps.Clone(r.StatusMapping),
		AutoIncident:     AutoIncident(r.AutoIncident),
		TokenPrefix:      r.TokenPrefix,
		CreatedAt:        timestamppb.New(r.CreatedAt),
		UpdatedAt:        timestamppb.New(r.UpdatedAt),
	}
	if r.Signature != nil {
		out.Signature = &statusv1.Signature{Header: r.Signature.Header, Scheme: r.Signature.Scheme}
		if withSecret {
			out.Signature.Secret = r.Signature.Secret
		}
	}
	return out
}

// Delivery converts a delivery log entry.
func Delivery(d domain.Delivery) *statusv1.Delivery {
	return &statusv1.Delivery{
		Id:               d.ID,
		ReceiverId:       d.ReceiverID,
		ReceivedAt:       timestamppb.New(d.ReceivedAt),
		SourceIp:         d.SourceIP,
		Payload:          d.Payload,
		PayloadTruncated: d.PayloadTruncated,
		Result:           toProtoResult[d.Result],
		Error:            d.Error,
		RawStatus:        d.RawStatus,
		MappedStatus:     Status(d.MappedStatus),
		PreviousStatus:   Status(d.PreviousStatus),
		NewStatus:        Status(d.NewStatus),
		ServiceId:        d.ServiceID,
	}
}

// Ingest converts an IngestEvent. An event without a reception time is
// taken as received at now; times are cut to the microseconds Postgres
// keeps, so a recorded delivery reads back as it was answered.
func Ingest(ev *ingestv1.IngestEvent, now time.Time) domain.Ingest {
	at := now
	if ev.GetReceivedAt() != nil {
		at = ev.GetReceivedAt().AsTime()
	}
	mapped, _ := DomainStatus(ev.GetMappedStatus())
	return domain.Ingest{
		DeliveryID:       ev.GetDeliveryId(),
		OrgID:            ev.GetOrgId(),
		ReceiverID:       ev.GetReceiverId(),
		ReceivedAt:       at.UTC().Truncate(time.Microsecond),
		SourceIP:         ev.GetSourceIp(),
		Payload:          ev.GetPayload(),
		PayloadTruncated: ev.GetPayloadTruncated(),
		Result:           DomainResult(ev.GetResult()),
		Error:            ev.GetError(),
		RawStatus:        ev.GetRawStatus(),
		MappedStatus:     mapped,
		ServiceName:      ev.GetServiceName(),
		Message:          ev.GetMessage(),
	}
}
