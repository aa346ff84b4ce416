package grpcapi

import (
	"context"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/pbconv"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// Incidents implements incidentsv1.IncidentServiceServer.
type Incidents struct {
	incidentsv1.UnimplementedIncidentServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	// changed is called after a commit that wrote an outbox event.
	changed func()
	clock   clockwork.Clock
}

// NewIncidents returns the IncidentService over st; registry checks
// service ids.
func NewIncidents(st *store.Store, registry statusv1.ServiceRegistryServiceClient, changed func(), clock clockwork.Clock) *Incidents {
	return &Incidents{store: st, registry: registry, changed: changed, clock: clock}
}

const incident = "incident"

// CreateIncident implements the RPC.
func (s *Incidents) CreateIncident(ctx context.Context, req *incidentsv1.CreateIncidentRequest) (*incidentsv1.CreateIncidentResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	n := domain.NewIncident{Title: req.GetTitle(), ServiceIDs: req.GetServiceIds(), Message: req.GetMessage(), Author: req.GetAuthor()}
	var err error
	if n.Severity, err = severity(req.GetSeverity()); err != nil {
		return nil, err
	}
	if n.Status, err = incidentStatus(req.GetStatus()); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, toStatus(err, incident)
	}
	if err := checkServices(ctx, s.registry, req.GetOrgId(), n.ServiceIDs); err != nil {
		return nil, toStatus(err, incident)
	}
	i := n.Open(ids.New(ids.Incident), req.GetOrgId(), pgdb.Now(s.clock))
	if err := s.store.CreateIncident(ctx, i, events.IncidentChanged); err != nil {
		return nil, toStatus(err, incident)
	}
	s.changed()
	return &incidentsv1.CreateIncidentResponse{Incident: pbconv.Incident(i)}, nil
}

// GetIncident implements the RPC.
func (s *Incidents) GetIncident(ctx context.Context, req *incidentsv1.GetIncidentRequest) (*incidentsv1.GetIncidentResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	i, err := s.store.GetIncident(ctx, req.GetOrgId(), req.GetIncidentId())
	if err != nil {
		return nil, toStatus(err, incident)
	}
	return &incidentsv1.GetIncidentResponse{Incident: pbconv.Incident(i)}, nil
}

// ListIncidents implements the RPC.
func (s *Incidents) ListIncidents(ctx context.Context, req *incidentsv1.ListIncidentsRequest) (*incidentsv1.ListIncidentsResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	f := store.IncidentFilter{ServiceID: req.GetServiceId(), BeforeID: before}
	switch req.GetFilter() {
	case incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN, incidentsv1.IncidentFilter_INCIDENT_FILTER_RESOLVED:
		open := req.GetFilter() == incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN
		f.Open = &open
	case incidentsv1.IncidentFilter_INCIDENT_FILTER_UNSPECIFIED:
	default:
		return nil, grpcx.InvalidField("filter", "unknown value")
	}
	list, err := s.store.ListIncidents(ctx, req.GetOrgId(), f, size+1)
	if err != nil {
		return nil, toStatus(err, incident)
	}
	resp := &incidentsv1.ListIncidentsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(i domain.Incident) string { return grpcx.EncodeToken(i.ID) })
	for _, i := range list {
		resp.Incidents = append(resp.Incidents, pbconv.Incident(i))
	}
	return resp, nil
}

// UpdateIncident implements the RPC.
func (s *Incidents) UpdateIncident(ctx context.Context, req *incidentsv1.UpdateIncidentRequest) (*incidentsv1.UpdateIncidentResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	p := domain.Patch{Title: req.Title, Message: req.GetMessage(), Author: req.GetAuthor()}
	var err error
	if p.Severity, err = severity(req.GetSeverity()); err != nil {
		return nil, err
	}
	if p.Status, err = incidentStatus(req.GetStatus()); err != nil {
		return nil, err
	}
	if req.GetServiceIds() != nil {
		ids := req.GetServiceIds().GetIds()
		p.ServiceIDs = &ids
	}
	if err := p.Validate(); err != nil {
		return nil, toStatus(err, incident)
	}
	if p.ServiceIDs != nil {
		if err := checkServices(ctx, s.registry, req.GetOrgId(), *p.ServiceIDs); err != nil {
			return nil, toStatus(err, incident)
		}
	}
	at := pgdb.Now(s.clock)
	i, err := s.store.ModifyIncident(ctx, req.GetOrgId(), req.GetIncidentId(), func(i domain.Incident) (domain.Incident, bool, error) {
		return p.Apply(i, at)
	}, events.IncidentChanged)
	if err != nil {
		return nil, toStatus(err, incident)
	}
	s.changed()
	return &incidentsv1.UpdateIncidentResponse{Incident: pbconv.Incident(i)}, nil
}

// AddIncidentUpdate implements the RPC.
func (s *Incidents) AddIncidentUpdate(ctx context.Context, req *incidentsv1.AddIncidentUpdateRequest) (*incidentsv1.AddIncidentUpdateResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	st, err := incidentStatus(req.GetStatus())
	if err != nil {
		return nil, err
	}
	at := pgdb.Now(s.clock)
	i, err := s.store.ModifyIncident(ctx, req.GetOrgId(), req.GetIncidentId(), func(i domain.Incident) (domain.Incident, bool, error) {
		after, err := domain.AddUpdate(i, st, req.GetMessage(), req.GetAuthor(), at)
		return after, err == nil, err
	}, events.IncidentChanged)
	if err != nil {
		return nil, toStatus(err, incident)
	}
	s.changed()
	return &incidentsv1.AddIncidentUpdateResponse{Incident: pbconv.Incident(i)}, nil
}

func severity(v statusv1.Severity) (domain.Severity, error) {
	s, ok := pbconv.DomainSeverity(v)
	if !ok {
		return "", grpcx.InvalidField("severity", "valid values are minor, major, critical")
	}
	return s, nil
}

func incidentStatus(v incidentsv1.IncidentStatus) (domain.IncidentStatus, error) {
	s, ok := pbconv.DomainIncidentStatus(v)
	if !ok {
		return "", grpcx.InvalidField("status", "valid values are investigating, identified, monitoring, resolved")
	}
	return s, nil
}
