// Package events builds the events the edge writes to its outbox for the
// relay to publish: AuditRecorded, on the AUDIT stream.
package events

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	auditv1 "github.com/upstatehq/upstate/proto/gen/upstate/audit/v1"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
)

// CloudEvents attributes of the events published here.
const (
	TypeAuditRecorded = "upstate.audit.v1.AuditRecorded"
	Source            = "upstate/edge"
)

// AuditRecorded builds the event announcing a stored audit entry. Its id,
// used as Nats-Msg-Id, is the entry's, so a republished copy is dropped.
func AuditRecorded(e audit.Entry) (bus.Event, error) {
	data, err := proto.Marshal(&auditv1.AuditRecorded{
		Id: e.ID, OrgId: e.OrgID, ActorKeyId: e.ActorKeyID, ActorKeyName: e.ActorKeyName,
		Action: e.Action, ObjectType: e.ObjectType, ObjectId: e.ObjectID,
		BeforeJson: string(e.Before), AfterJson: string(e.After), Outcome: string(e.Outcome),
		Status: int32(e.Status), Method: e.Method, Path: e.Path, SourceIp: e.SourceIP, RequestId: e.RequestID,
		At: timestamppb.New(e.At),
	})
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s: %w", TypeAuditRecorded, err)
	}
	return bus.Event{
		Subject: bus.AuditSubject(e.OrgID, e.ID), ID: e.ID,
		Type: TypeAuditRecorded, Source: Source, Time: e.At, Data: data,
	}, nil
}
