package httpapi

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// deliveryJSON is the REST representation of a delivery log entry.
type deliveryJSON struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	SourceIP   string    `json:"source_ip"`
	// Payload is a json.RawMessage when the body was JSON, else a string.
	Payload          any    `json:"payload"`
	PayloadTruncated bool   `json:"payload_truncated"`
	Result           string `json:"result"`
	Error            string `json:"error"`
	RawStatus        string `json:"raw_status"`
	MappedStatus     string `json:"mapped_status"`
	PreviousStatus   string `json:"previous_status"`
	NewStatus        string `json:"new_status"`
	ServiceID        string `json:"service_id"`
}

var resultNames = map[statusv1.DeliveryResult]string{
	statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED:   "processed",
	statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED:     "ignored",
	statusv1.DeliveryResult_DELIVERY_RESULT_FAILED:      "failed",
	statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED: "auth_failed",
}

func toDeliveryJSON(d *statusv1.Delivery) deliveryJSON {
	return deliveryJSON{
		ID: d.GetId(), ReceivedAt: d.GetReceivedAt().AsTime(), SourceIP: d.GetSourceIp(),
		Payload: payloadJSON(d.GetPayload()), PayloadTruncated: d.GetPayloadTruncated(),
		Result: resultNames[d.GetResult()], Error: d.GetError(), RawStatus: d.GetRawStatus(),
		MappedStatus: statusName(d.GetMappedStatus()), PreviousStatus: statusName(d.GetPreviousStatus()),
		NewStatus: statusName(d.GetNewStatus()), ServiceID: d.GetServiceId(),
	}
}

// payloadJSON embeds a payload that is JSON as JSON, so that clients read
// it without decoding twice, and anything else (a truncated body, form
// data, invalid UTF-8) as a string.
func payloadJSON(p []byte) any {
	if json.Valid(p) && utf8.Valid(p) {
		return json.RawMessage(p)
	}
	return string(p)
}
