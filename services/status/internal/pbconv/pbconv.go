// Package pbconv converts between the status domain and its protobuf
// messages, shared by the gRPC API and the events it publishes.
package pbconv

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/enum"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

var toProtoStatus = map[domain.Status]statusv1.Status{
	domain.Operational: statusv1.Status_STATUS_OPERATIONAL,
	domain.Degraded:    statusv1.Status_STATUS_DEGRADED,
	domain.Down:        statusv1.Status_STATUS_DOWN,
	domain.Maintenance: statusv1.Status_STATUS_MAINTENANCE,
}

var toProtoSource = map[domain.Source]statusv1.Source{
	domain.SourceAPI:         statusv1.Source_SOURCE_API,
	domain.SourceWebhook:     statusv1.Source_SOURCE_WEBHOOK,
	domain.SourceMaintenance: statusv1.Source_SOURCE_MAINTENANCE,
}

// Status converts a domain status.
func Status(s domain.Status) statusv1.Status { return toProtoStatus[s] }

// DomainStatus converts a protobuf status; ok is false for UNSPECIFIED or
// unknown values.
func DomainStatus(s statusv1.Status) (domain.Status, bool) {
	return enum.Reverse(toProtoStatus, s)
}

// Source converts a domain source.
func Source(s domain.Source) statusv1.Source { return toProtoSource[s] }

// DomainSource converts a protobuf source; UNSPECIFIED means the API.
func DomainSource(s statusv1.Source) domain.Source {
	if d, ok := enum.Reverse(toProtoSource, s); ok {
		return d
	}
	return domain.SourceAPI
}

// Service converts a domain service.
func Service(s domain.Service) *statusv1.Service {
	return &statusv1.Service{
		Id:                s.ID,
		OrgId:             s.OrgID,
		Name:              s.Name,
		Description:       s.Description,
		Status:            Status(s.Status),
		StatusDescription: s.StatusDescription,
		StatusChangedAt:   timestamppb.New(s.StatusChangedAt),
		CreatedAt:         timestamppb.New(s.CreatedAt),
		UpdatedAt:         timestamppb.New(s.UpdatedAt),
		Version:           s.Version,
		StatusVersion:     s.StatusVersion,
		Tags:              s.Tags,
	}
}

// ServiceDeleted builds the event announcing the deletion of s, as
// domain.Delete left it.
func ServiceDeleted(s domain.Service) *statusv1.ServiceDeleted {
	return &statusv1.ServiceDeleted{
		OrgId: s.OrgID, ServiceId: s.ID, ServiceName: s.Name, Version: s.Version, DeletedAt: timestamppb.New(s.UpdatedAt),
	}
}

// Change converts a history entry.
func Change(c domain.Change) *statusv1.StatusChange {
	return &statusv1.StatusChange{
		ServiceId:   c.ServiceID,
		Version:     c.Version,
		Previous:    Status(c.Previous),
		Status:      Status(c.Status),
		Description: c.Description,
		Source:      Source(c.Source),
		Actor:       c.Actor,
		ChangedAt:   timestamppb.New(c.ChangedAt),
	}
}

// StatusChanged builds the event announcing a change of s. A change caused
// by a webhook delivery names the receiver and delivery and carries the
// receiver's automatic-incident setting.
func StatusChanged(s domain.Service, c domain.Change) *statusv1.StatusChanged {
	ev := &statusv1.StatusChanged{
		OrgId:       s.OrgID,
		ServiceId:   s.ID,
		ServiceName: s.Name,
		Previous:    Status(c.Previous),
		Status:      Status(c.Status),
		Description: c.Description,
		Source:      Source(c.Source),
		Actor:       c.Actor,
		Version:     c.Version,
		ChangedAt:   timestamppb.New(c.ChangedAt),
		Tags:        s.Tags,
	}
	if w := c.Webhook; w != nil {
		ev.ReceiverId, ev.DeliveryId, ev.AutoIncident = w.ReceiverID, w.DeliveryID, AutoIncident(w.AutoIncident)
	}
	return ev
}
