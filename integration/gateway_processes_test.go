package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// The gateway and the status service as separate processes over real NATS
// and gRPC. Stopping the status service while senders post loses no
// accepted delivery: the gateway keeps accepting for cached receivers, and
// every delivery is applied, in order, once the status service is back.
func TestGatewayKeepsAcceptingWhileStatusIsDown(t *testing.T) {
	t.Parallel()
	bins := buildBinaries(t, "status", "edge", "gateway")
	dsn := testenv.NewDatabase(t)
	natsURL := testenv.StartNATS(t).ClientURL()
	statusGRPC, statusHTTP, edgeHTTP, gatewayHTTP := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	token := grpcToken(t)
	common := []string{"DATABASE_URL=" + dsn, "UPSTATE_NATS_URL=" + natsURL, "UPSTATE_LOG_FORMAT=json", "UPSTATE_GRPC_TOKEN=" + token}
	statusEnv := append(common, "UPSTATE_STATUS_GRPC_ADDR="+statusGRPC, "UPSTATE_STATUS_HTTP_ADDR="+statusHTTP)

	stopStatus := startProcess(t, bins["status"], statusEnv)
	waitReady(t, "http://"+statusHTTP+"/readyz")
	startProcess(t, bins["edge"], append(common, "UPSTATE_HTTP_ADDR="+edgeHTTP,
		"UPSTATE_STATUS_GRPC_TARGET="+statusGRPC, "UPSTATE_BOOTSTRAP_API_KEY="+bootstrapKey))
	waitReady(t, "http://"+edgeHTTP+"/readyz")
	startProcess(t, bins["gateway"], append(common, "UPSTATE_HTTP_ADDR="+gatewayHTTP,
		"UPSTATE_STATUS_GRPC_TARGET="+statusGRPC))
	waitReady(t, "http://"+gatewayHTTP+"/readyz")

	api := &stack{t: t, baseURL: "http://" + edgeHTTP}
	svc := api.createService(bootstrapKey, "API")
	rid, path := api.createWebhookReceiver(`{"name":"monitor","service_id":"` + svc + `"}`)
	gw := &stack{t: t, baseURL: "http://" + gatewayHTTP}

	// The first delivery warms the gateway's receiver cache.
	statuses := []string{"down", "operational", "degraded", "down", "maintenance", "operational", "down", "degraded", "operational", "down", "operational"}
	if r := gw.post(path, `{"status":"down"}`); r.Status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", r.Status, r.Body)
	}
	api.awaitDeliveries(rid, 1)

	stopStatus()
	for i, st := range statuses[1:] {
		r := gw.post(path, fmt.Sprintf(`{"status":%q,"message":"delivery %d"}`, st, i+1))
		if r.Status != http.StatusAccepted {
			t.Fatalf("delivery %d while the status service is down: %d %s", i+1, r.Status, r.Body)
		}
	}

	startProcess(t, bins["status"], statusEnv)
	waitReady(t, "http://"+statusHTTP+"/readyz")
	log := api.awaitDeliveries(rid, len(statuses))
	for i, d := range log {
		want := statuses[len(statuses)-1-i] // newest first
		if d["result"] != "processed" || d["mapped_status"] != want || d["new_status"] != want {
			t.Errorf("delivery %d = %v, want processed %s", len(statuses)-1-i, d, want)
		}
	}
	got := api.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t)
	// Version 1 was the service's creation; each delivery changed its status.
	if got["status"] != "operational" || got["version"] != float64(len(statuses)+1) {
		t.Fatalf("service after catching up = %v, want operational at version %d", got, len(statuses)+1)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		m := send(t, mustRequest(t, http.MethodGet, "http://"+gatewayHTTP+"/metrics"))
		if !strings.Contains(string(m.Body), "gateway_webhook_deliveries_total") {
			return fmt.Errorf("gateway metrics lack the delivery counter")
		}
		return nil
	})
}
