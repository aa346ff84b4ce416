package scheduler_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/grpcx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// registry stands in for the status service's ServiceRegistryService, the
// other service the scheduler talks to: one organisation's services in
// memory, with versions, conditional reports and a history as the status
// service keeps them, served over gRPC.
type registry struct {
	statusv1.UnimplementedServiceRegistryServiceServer
	clock clockwork.Clock

	mu       sync.Mutex
	services map[string]*statusv1.Service
	history  map[string][]*statusv1.StatusChange // newest first
	// faults, per service, are how the next SetStatus calls go wrong.
	faults map[string][]fault
	// sets counts the SetStatus calls per service.
	sets map[string]int
}

// fault is how a SetStatus call goes wrong.
type fault int

const (
	// unavailable: the call fails and changes nothing.
	unavailable fault = iota + 1
	// lostAnswer: the change is made but the answer is lost.
	lostAnswer
)

const org = "org_a"

// startRegistry serves a registry and returns it with a client of it.
func startRegistry(t testing.TB, clock clockwork.Clock) (*registry, statusv1.ServiceRegistryServiceClient) {
	t.Helper()
	r := &registry{
		clock: clock, services: map[string]*statusv1.Service{}, history: map[string][]*statusv1.StatusChange{},
		faults: map[string][]fault{}, sets: map[string]int{},
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	statusv1.RegisterServiceRegistryServiceServer(srv, r)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpcx.Dial(lis.Addr().String(), grpcx.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return r, statusv1.NewServiceRegistryServiceClient(conn)
}

// add creates a service with status and description, at version 3 (it was
// created and edited before).
func (r *registry) add(id string, st statusv1.Status, desc string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.services[id] = &statusv1.Service{
		Id: id, OrgId: org, Name: id, Status: st, StatusDescription: desc, Version: 3, StatusVersion: 3,
	}
}

// failNext makes the next SetStatus calls on the service go wrong.
func (r *registry) failNext(id string, f ...fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults[id] = append(r.faults[id], f...)
}

// get returns the service as it is.
func (r *registry) get(id string) *statusv1.Service {
	r.mu.Lock()
	defer r.mu.Unlock()
	return proto.CloneOf(r.services[id])
}

// setCalls returns how many SetStatus calls the service had.
func (r *registry) setCalls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sets[id]
}

// changes returns the service's history, newest first.
func (r *registry) changes(id string) []*statusv1.StatusChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.history[id])
}

// report sets a service's status as a webhook report would.
func (r *registry) report(id string, st statusv1.Status, desc string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply(&statusv1.SetStatusRequest{ServiceId: id, Status: st, Description: &desc, Source: statusv1.Source_SOURCE_WEBHOOK, Actor: "whr_1"})
}

func (r *registry) GetService(_ context.Context, req *statusv1.GetServiceRequest) (*statusv1.GetServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.services[req.GetServiceId()]
	if !ok || req.GetOrgId() != org {
		return nil, status.Error(codes.NotFound, "service not found")
	}
	return &statusv1.GetServiceResponse{Service: proto.CloneOf(s)}, nil
}

func (r *registry) SetStatus(_ context.Context, req *statusv1.SetStatusRequest) (*statusv1.SetStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.GetServiceId()
	r.sets[id]++
	var f fault
	if len(r.faults[id]) > 0 {
		f, r.faults[id] = r.faults[id][0], r.faults[id][1:]
	}
	if f == unavailable {
		return nil, status.Error(codes.Unavailable, "status service unavailable")
	}
	s, ok := r.services[id]
	if !ok || req.GetOrgId() != org {
		return nil, status.Error(codes.NotFound, "service not found")
	}
	if req.ExpectedVersion != nil && req.GetExpectedVersion() != s.GetStatusVersion() {
		return nil, status.Error(codes.FailedPrecondition, "the service's status changed")
	}
	resp := r.apply(req)
	if f == lostAnswer {
		return nil, status.Error(codes.Unavailable, "connection reset")
	}
	return resp, nil
}

// apply makes a report, as the status service's domain.Apply does.
func (r *registry) apply(req *statusv1.SetStatusRequest) *statusv1.SetStatusResponse {
	s := r.services[req.GetServiceId()]
	resp := &statusv1.SetStatusResponse{Previous: s.GetStatus()}
	switch {
	case req.GetStatus() == s.GetStatus():
		if req.Description != nil {
			s.StatusDescription = req.GetDescription()
		}
	default:
		s.Version++
		s.StatusVersion = s.Version
		r.history[s.Id] = slices.Insert(r.history[s.Id], 0, &statusv1.StatusChange{
			ServiceId: s.Id, Version: s.Version, Previous: s.Status, Status: req.GetStatus(),
			Description: req.GetDescription(), Source: req.GetSource(), Actor: req.GetActor(),
			ChangedAt: timestamppb.New(r.clock.Now()),
		})
		s.Status, s.StatusDescription = req.GetStatus(), req.GetDescription()
		resp.Changed = true
	}
	resp.Service = proto.CloneOf(s)
	return resp
}

func (r *registry) ListStatusHistory(_ context.Context, req *statusv1.ListStatusHistoryRequest) (*statusv1.ListStatusHistoryResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.services[req.GetServiceId()]; !ok || req.GetOrgId() != org {
		return nil, status.Error(codes.NotFound, "service not found")
	}
	h := r.history[req.GetServiceId()]
	n := min(len(h), int(req.GetPageSize()))
	if req.GetPageSize() == 0 {
		n = min(len(h), 50)
	}
	out := make([]*statusv1.StatusChange, n)
	for i := range n {
		out[i] = proto.CloneOf(h[i])
	}
	return &statusv1.ListStatusHistoryResponse{Changes: out}, nil
}
