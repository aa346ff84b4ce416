package grpcapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// Receivers implements statusv1.ReceiverServiceServer.
type Receivers struct {
	statusv1.UnimplementedReceiverServiceServer
	store *store.Store
	// changed announces a receiver's id after a committed change.
	changed func(receiverID string)
	clock   clockwork.Clock
}

// NewReceivers returns the receivers API; changed is called with the id of
// every receiver created, updated, deleted or given a new token, once the
// change is committed.
func NewReceivers(st *store.Store, changed func(receiverID string), clock clockwork.Clock) *Receivers {
	return &Receivers{store: st, changed: changed, clock: clock}
}

// newToken returns a receiver token: 256 random bits as 64 lowercase hex
// characters.
func newToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never fails; it crashes the program if the system's
	// random source does.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notFound is toStatus naming what was not found.
func notFound(err error, what string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return status.Error(codes.NotFound, what+" not found")
	}
	return toStatus(err)
}

// CreateReceiver implements the RPC.
func (s *Receivers) CreateReceiver(ctx context.Context, req *statusv1.CreateReceiverRequest) (*statusv1.CreateReceiverResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec, err := pbconv.ReceiverSpec(req.GetSpec()).WithPreset(req.GetPreset())
	if err != nil {
		return nil, toStatus(err)
	}
	if spec, err = spec.Normalize(); err != nil {
		return nil, toStatus(err)
	}
	token, now := newToken(), pgdb.Now(s.clock)
	r := domain.Receiver{
		ReceiverSpec: spec, ID: ids.New(ids.Receiver), OrgID: req.GetOrgId(),
		TokenHash: domain.HashToken(token), TokenPrefix: domain.TokenPrefix(token),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateReceiver(ctx, r); err != nil {
		return nil, toStatus(err)
	}
	// Not announced: no gateway can hold anything about a token made just
	// now, and an announcement makes gateways discard the receiver lookups
	// in flight when it arrives, which only costs them a cache fill.
	return &statusv1.CreateReceiverResponse{Receiver: pbconv.Receiver(r, false), Token: token}, nil
}

// GetReceiver implements the RPC.
func (s *Receivers) GetReceiver(ctx context.Context, req *statusv1.GetReceiverRequest) (*statusv1.GetReceiverResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	r, err := s.store.GetReceiver(ctx, req.GetOrgId(), req.GetReceiverId())
	if err != nil {
		return nil, notFound(err, "receiver")
	}
	return &statusv1.GetReceiverResponse{Receiver: pbconv.Receiver(r, false)}, nil
}

// ListReceivers implements the RPC.
func (s *Receivers) ListReceivers(ctx context.Context, req *statusv1.ListReceiversRequest) (*statusv1.ListReceiversResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	// One extra row tells whether another page follows.
	rs, err := s.store.ListReceivers(ctx, req.GetOrgId(), after, size+1)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &statusv1.ListReceiversResponse{}
	rs, resp.NextPageToken = grpcx.CutPage(rs, size, func(r domain.Receiver) string { return grpcx.EncodeToken(r.ID) })
	for _, r := range rs {
		resp.Receivers = append(resp.Receivers, pbconv.Receiver(r, false))
	}
	return resp, nil
}

// UpdateReceiver implements the RPC.
func (s *Receivers) UpdateReceiver(ctx context.Context, req *statusv1.UpdateReceiverRequest) (*statusv1.UpdateReceiverResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	upd := pbconv.ReceiverSpec(req.GetSpec())
	r, err := s.store.UpdateReceiver(ctx, req.GetOrgId(), req.GetReceiverId(), func(cur domain.Receiver) (domain.Receiver, error) {
		spec, err := cur.ReceiverSpec.Update(upd, req.GetUpdatePaths())
		if err != nil {
			return cur, err
		}
		if cur.ReceiverSpec, err = spec.Normalize(); err != nil {
			return cur, err
		}
		cur.UpdatedAt = pgdb.Now(s.clock)
		return cur, nil
	})
	if err != nil {
		return nil, notFound(err, "receiver")
	}
	s.changed(r.ID)
	return &statusv1.UpdateReceiverResponse{Receiver: pbconv.Receiver(r, false)}, nil
}

// DeleteReceiver implements the RPC.
func (s *Receivers) DeleteReceiver(ctx context.Context, req *statusv1.DeleteReceiverRequest) (*statusv1.DeleteReceiverResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteReceiver(ctx, req.GetOrgId(), req.GetReceiverId()); err != nil {
		return nil, notFound(err, "receiver")
	}
	s.changed(req.GetReceiverId())
	return &statusv1.DeleteReceiverResponse{}, nil
}

// RotateReceiverToken implements the RPC.
func (s *Receivers) RotateReceiverToken(ctx context.Context, req *statusv1.RotateReceiverTokenRequest) (*statusv1.RotateReceiverTokenResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	token := newToken()
	r, err := s.store.RotateToken(ctx, req.GetOrgId(), req.GetReceiverId(), domain.HashToken(token), domain.TokenPrefix(token), pgdb.Now(s.clock))
	if err != nil {
		return nil, notFound(err, "receiver")
	}
	s.changed(r.ID)
	return &statusv1.RotateReceiverTokenResponse{Receiver: pbconv.Receiver(r, false), Token: token}, nil
}

// ResolveReceiver implements the RPC. It is the one answer that carries the
// signature secret: the gateway verifies deliveries with it. A malformed
// token is not found, like an unknown one.
func (s *Receivers) ResolveReceiver(ctx context.Context, req *statusv1.ResolveReceiverRequest) (*statusv1.ResolveReceiverResponse, error) {
	if !domain.ValidToken(req.GetToken()) {
		return nil, status.Error(codes.NotFound, "receiver not found")
	}
	r, err := s.store.ResolveReceiver(ctx, domain.HashToken(req.GetToken()))
	if err != nil {
		return nil, notFound(err, "receiver")
	}
	return &statusv1.ResolveReceiverResponse{Receiver: pbconv.Receiver(r, true)}, nil
}

// ListDeliveries implements the RPC.
func (s *Receivers) ListDeliveries(ctx context.Context, req *statusv1.ListDeliveriesRequest) (*statusv1.ListDeliveriesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	ds, err := s.store.ListDeliveries(ctx, req.GetOrgId(), req.GetReceiverId())
	if err != nil {
		return nil, notFound(err, "receiver")
	}
	resp := &statusv1.ListDeliveriesResponse{}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, pbconv.Delivery(d))
	}
	return resp, nil
}

// GetDelivery implements the RPC.
func (s *Receivers) GetDelivery(ctx context.Context, req *statusv1.GetDeliveryRequest) (*statusv1.GetDeliveryResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	d, err := s.store.GetDelivery(ctx, req.GetOrgId(), req.GetReceiverId(), req.GetDeliveryId())
	if err != nil {
		return nil, notFound(err, "delivery")
	}
	return &statusv1.GetDeliveryResponse{Delivery: pbconv.Delivery(d)}, nil
}
