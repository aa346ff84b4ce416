package pbconv

import (
	"reflect"
	"testing"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/webhook"
)

func TestEventTruncatesPayload(t *testing.T) {
	t.Parallel()
	r := domain.Compile(domain.ReceiverConfig{ID: "whr_1", OrgID: "org_1", ServiceID: "svc_1"})
	for _, n := range []int{0, domain.MaxPayload, domain.MaxPayload + 1} {
		ev := Ingest(domain.Delivery{ID: "dlv_1", Receiver: r, Body: make([]byte, n)})
		if len(ev.GetPayload()) != min(n, domain.MaxPayload) || ev.GetPayloadTruncated() != (n > domain.MaxPayload) {
			t.Errorf("body of %d: payload %d truncated %v", n, len(ev.GetPayload()), ev.GetPayloadTruncated())
		}
	}
}

func TestEnums(t *testing.T) {
	t.Parallel()
	statuses := map[domain.Status]statusv1.Status{
		"":                       statusv1.Status_STATUS_UNSPECIFIED,
		domain.StatusOperational: statusv1.Status_STATUS_OPERATIONAL,
		domain.StatusDegraded:    statusv1.Status_STATUS_DEGRADED,
		domain.StatusDown:        statusv1.Status_STATUS_DOWN,
		domain.StatusMaintenance: statusv1.Status_STATUS_MAINTENANCE,
	}
	for d, p := range statuses {
		if got := Status(d); got != p {
			t.Errorf("Status(%q) = %v, want %v", d, got, p)
		}
		if got := DomainStatus(p); got != d {
			t.Errorf("DomainStatus(%v) = %q, want %q", p, got, d)
		}
	}
	results := map[domain.DeliveryResult]statusv1.DeliveryResult{
		"":                      statusv1.DeliveryResult_DELIVERY_RESULT_UNSPECIFIED,
		domain.ResultProcessed:  statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
		domain.ResultIgnored:    statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED,
		domain.ResultFailed:     statusv1.DeliveryResult_DELIVERY_RESULT_FAILED,
		domain.ResultAuthFailed: statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED,
	}
	for d, p := range results {
		if got := Result(d); got != p {
			t.Errorf("Result(%q) = %v, want %v", d, got, p)
		}
		if got := DomainResult(p); got != d {
			t.Errorf("DomainResult(%v) = %q, want %q", p, got, d)
		}
	}
	// A value newer than this code has no name.
	if got := DomainStatus(99); got != "" {
		t.Errorf("DomainStatus(99) = %q", got)
	}
	if got := DomainResult(99); got != "" {
		t.Errorf("DomainResult(99) = %q", got)
	}
}

func TestReceiver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pb   *statusv1.Receiver
		want domain.ReceiverConfig
	}{
		{"every field", &statusv1.Receiver{
			Id: "whr_1", OrgId: "org_1", Enabled: true, ServiceId: "svc_1",
			StatusField: "data.state", ServiceNameField: "svc", MessageField: "data.text",
			StatusMapping: map[string]string{"red": "down"},
			Signature:     &statusv1.Signature{Secret: "k", Header: "X-Sig", Scheme: "base64"},
		}, domain.ReceiverConfig{
			ID: "whr_1", OrgID: "org_1", Enabled: true, ServiceID: "svc_1",
			StatusField: "data.state", ServiceNameField: "svc", MessageField: "data.text",
			StatusMapping: map[string]string{"red": "down"},
			Signature:     &webhook.Signature{Secret: "k", Header: "X-Sig", Scheme: webhook.SchemeBase64},
		}},
		{"unsigned", &statusv1.Receiver{Id: "whr_2"}, domain.ReceiverConfig{ID: "whr_2"}},
		// An empty requirement stays one: the domain refuses its deliveries.
		{"signature without a secret", &statusv1.Receiver{Signature: &statusv1.Signature{}},
			domain.ReceiverConfig{Signature: &webhook.Signature{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Receiver(tt.pb); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Receiver = %+v, want %+v", got, tt.want)
			}
		})
	}
}
