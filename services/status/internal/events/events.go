// Package events builds the events the status service writes to its
// outbox for the relay to publish.
package events

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
)

// CloudEvents attributes of the events published here.
const (
	TypeStatusChanged = "upstate.status.v1.StatusChanged"
	Source            = "upstate/status"
)

// StatusChanged builds the StatusChanged event of change c of service s. Its
// id, used as Nats-Msg-Id, is "<service_id>:<version>", so a republished
// copy is dropped by JetStream and recognised by consumers.
func StatusChanged(s domain.Service, c domain.Change) (bus.Event, error) {
	data, err := proto.Marshal(pbconv.StatusChanged(s, c))
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode StatusChanged: %w", err)
	}
	return bus.Event{
		Subject: bus.StatusSubject(s.OrgID, s.ID),
		ID:      fmt.Sprintf("%s:%d", s.ID, c.Version),
		Type:    TypeStatusChanged,
		Source:  Source,
		Time:    c.ChangedAt,
		Data:    data,
	}, nil
}
