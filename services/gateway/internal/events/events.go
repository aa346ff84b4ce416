// Package events builds the event the gateway publishes for each webhook
// delivery.
package events

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/services/gateway/internal/pbconv"
)

// CloudEvents attributes of the events published here.
const (
	TypeIngestEvent = "upstate.ingest.v1.IngestEvent"
	Source          = "upstate/gateway"
)

// Ingest builds the IngestEvent of delivery d on its receiver's INGEST
// subject. Its id, used as Nats-Msg-Id, is the delivery id, so a copy
// published again under the same id is dropped by JetStream.
func Ingest(d domain.Delivery) (bus.Event, error) {
	data, err := proto.Marshal(pbconv.Ingest(d))
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode ingest event: %w", err)
	}
	return bus.Event{
		Subject: bus.IngestSubject(d.Receiver.OrgID, d.Receiver.ID),
		ID:      d.ID,
		Type:    TypeIngestEvent,
		Source:  Source,
		Time:    d.ReceivedAt,
		Data:    data,
	}, nil
}
