// Package events builds the events the SLA service writes to its outbox
// for the relay to publish on the SLA stream.
package events

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/pbconv"
)

// CloudEvents attributes of the events published here.
const (
	TypeSLOBurning     = "upstate.sla.v1.SLOBurning"
	TypeSLOBurnStopped = "upstate.sla.v1.SLOBurnStopped"
	TypeSLOExhausted   = "upstate.sla.v1.SLOExhausted"
	TypeSLORecovered   = "upstate.sla.v1.SLORecovered"
	Source             = "upstate/sla"
)

// SLOEvent builds the event announcing what an evaluation at at found:
// s is the SLO after the event (its version is the event's), st its
// state. Its id, used as Nats-Msg-Id, is "<slo_id>:<version>", so a
// republished copy is dropped by JetStream and recognised by consumers.
func SLOEvent(kind domain.SLOEvent, s domain.SLO, st domain.SLOState, at time.Time) (bus.Event, error) {
	slo, ts := pbconv.SLO(s, st, at), timestamppb.New(at)
	var typ string
	var m proto.Message
	switch kind {
	case domain.EventBurning:
		typ, m = TypeSLOBurning, &slav1.SLOBurning{Slo: slo, At: ts}
	case domain.EventBurnStopped:
		typ, m = TypeSLOBurnStopped, &slav1.SLOBurnStopped{Slo: slo, At: ts}
	case domain.EventExhausted:
		typ, m = TypeSLOExhausted, &slav1.SLOExhausted{Slo: slo, At: ts}
	case domain.EventRecovered:
		typ, m = TypeSLORecovered, &slav1.SLORecovered{Slo: slo, At: ts}
	default:
		return bus.Event{}, fmt.Errorf("unknown slo event %q", kind)
	}
	data, err := proto.Marshal(m)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	return bus.Event{
		Subject: bus.SLASubject(s.OrgID, s.ID), ID: fmt.Sprintf("%s:%d", s.ID, s.Version),
		Type: typ, Source: Source, Time: at, Data: data,
	}, nil
}
