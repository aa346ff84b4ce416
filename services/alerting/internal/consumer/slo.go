package consumer

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

var (
	typeSLOBurning     = typeOf((*slav1.SLOBurning)(nil))
	typeSLOBurnStopped = typeOf((*slav1.SLOBurnStopped)(nil))
)

// StartSLO consumes the SLO events of the SLA stream: a fast burn
// starting or stopping on one of a service's SLOs is what rules with
// include_slo_events follow, so every such event re-evaluates the
// service's rules (store.ApplySLOBurns).
func StartSLO(ctx context.Context, js jetstream.JetStream, d Deps, cfg Config) (*Consumer, error) {
	return start(ctx, js, bus.StreamSLA, SLODurable, []string{bus.SubjectsSLA}, cfg, func(ctx context.Context, msgs []jetstream.Msg) error {
		burns := make([]domain.SLOBurn, 0, len(msgs))
		for _, msg := range msgs {
			b, ok, err := decodeSLO(msg)
			if err != nil {
				return bus.Permanent(err)
			}
			if ok {
				burns = append(burns, b)
			}
		}
		if len(burns) == 0 {
			return nil
		}
		if err := d.Store.ApplySLOBurns(ctx, burns, pgdb.Now(d.Clock)); err != nil {
			return err
		}
		d.Changed()
		return nil
	}, d.Logger)
}

// decodeSLO reads an SLO event: SLOBurning starts a burn, SLOBurnStopped
// ends it. ok is false for the other events (SLOExhausted, SLORecovered
// and those to come), acknowledged without effect: a spent budget stays
// spent for as long as the downtime is in the window, which pages nobody
// usefully, while a fast burn is what the SRE workbook pages on.
func decodeSLO(msg jetstream.Msg) (b domain.SLOBurn, ok bool, err error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	var m interface {
		proto.Message
		GetSlo() *slav1.SLO
		GetAt() *timestamppb.Timestamp
	}
	switch typ {
	case typeSLOBurning:
		m, b.Burning = &slav1.SLOBurning{}, true
	case typeSLOBurnStopped:
		m = &slav1.SLOBurnStopped{}
	default:
		return b, false, nil
	}
	if err := proto.Unmarshal(msg.Data(), m); err != nil {
		return b, false, fmt.Errorf("decode %s: %w", typ, err)
	}
	slo := m.GetSlo()
	b.OrgID, b.ServiceID, b.SLOID, b.Version = slo.GetOrgId(), slo.GetServiceId(), slo.GetId(), slo.GetVersion()
	if b.OrgID == "" || b.ServiceID == "" || b.SLOID == "" || b.Version <= 0 || m.GetAt() == nil {
		return b, false, fmt.Errorf("%s on %s lacks org, service, SLO, version or time", typ, msg.Subject())
	}
	b.At = m.GetAt().AsTime()
	return b, true, nil
}
