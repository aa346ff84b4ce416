package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/app"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The service, run as its binaries run it, serves ReceiverService, announces receiver changes and applies
// webhook deliveries from INGEST, from Start to Stop.
func TestAppReceiversAndIngest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	natsURL := testenv.StartNATS(t).ClientURL()
	nc, js, err := bus.Connect(ctx, natsURL, "app-test", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	host := servicetest.NewHost(t, service.Env{DatabaseURL: testenv.NewDatabase(t), NATSURL: natsURL}, nil)
	a, err := host.Start(ctx, app.Unit(app.Config{}, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.Stop(stopCtx); err != nil {
			t.Error(err)
		}
	}

	conn, err := host.Dial(a.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	services := statusv1.NewServiceRegistryServiceClient(conn)
	receivers := statusv1.NewReceiverServiceClient(conn)

	changes, err := nc.SubscribeSync(bus.SubjectReceiverChanged)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	svc, err := services.CreateService(ctx, &statusv1.CreateServiceRequest{OrgId: "org_a", Name: "API"})
	if err != nil {
		t.Fatal(err)
	}
	created, err := receivers.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: "org_a",
		Spec: &statusv1.ReceiverSpec{Name: "CI", Enabled: true, ServiceId: svc.GetService().GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	rec := created.GetReceiver()
	if _, err := receivers.RotateReceiverToken(ctx, &statusv1.RotateReceiverTokenRequest{OrgId: "org_a", ReceiverId: rec.GetId()}); err != nil {
		t.Fatal(err)
	}
	msg, err := changes.NextMsg(5 * time.Second)
	if err != nil || string(msg.Data) != rec.GetId() {
		t.Fatalf("receiver change announcement = %v, %v; want %s", msg, err, rec.GetId())
	}

	reply := nats.NewInbox()
	replies, err := nc.SubscribeSync(reply)
	if err != nil {
		t.Fatal(err)
	}
	ev := &ingestv1.IngestEvent{
		DeliveryId: ids.New(ids.Delivery), OrgId: "org_a", ReceiverId: rec.GetId(), ReceivedAt: timestamppb.Now(),
		Result: statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED, RawStatus: "maintenance",
		MappedStatus: statusv1.Status_STATUS_MAINTENANCE, ReplySubject: reply,
	}
	data, _ := proto.Marshal(ev)
	if _, err := js.Publish(ctx, bus.IngestSubject("org_a", rec.GetId()), data); err != nil {
		t.Fatal(err)
	}
	if _, err := replies.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("no delivery outcome: %v", err)
	}
	log, err := receivers.ListDeliveries(ctx, &statusv1.ListDeliveriesRequest{OrgId: "org_a", ReceiverId: rec.GetId()})
	if err != nil || len(log.GetDeliveries()) != 1 || log.GetDeliveries()[0].GetNewStatus() != statusv1.Status_STATUS_MAINTENANCE {
		t.Fatalf("deliveries = %v, %v", log, err)
	}
	got, err := services.GetService(ctx, &statusv1.GetServiceRequest{OrgId: "org_a", ServiceId: svc.GetService().GetId()})
	if err != nil || got.GetService().GetStatus() != statusv1.Status_STATUS_MAINTENANCE {
		t.Fatalf("service = %v, %v", got, err)
	}

	// Stop drains: the consumer goes away, and the relay's last run has
	// published the change.
	stop()
	stream, err := js.Stream(ctx, bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The service's creation and its change to maintenance.
	if info.State.Msgs != 2 {
		t.Fatalf("STATUS holds %d messages, want 2", info.State.Msgs)
	}
}
