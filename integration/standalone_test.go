package integration

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// bin/upstate, as `make run` starts it: its own Postgres in the data dir,
// embedded NATS, one HTTP listener. Data survives a restart and the
// bootstrap key is idempotent; the incidents issue's "done when" holds on
// it (an automatic incident opened once and resolved).
func TestStandaloneBinary(t *testing.T) {
	t.Parallel()
	bin, dataDir := standaloneBinary(t)

	var stop func()
	natsAddr := freeAddr(t)
	run := func() *stack {
		addr := freeAddr(t)
		stop = startProcess(t, bin, []string{
			"UPSTATE_HTTP_ADDR=" + addr, "UPSTATE_DATA_DIR=" + dataDir, "UPSTATE_NATS_LISTEN=" + natsAddr,
			"UPSTATE_BOOTSTRAP_API_KEY=" + bootstrapKey, "DATABASE_URL=", "UPSTATE_NATS_URL=",
			"UPSTATE_NATS_READER_USER=" + readerUser, "UPSTATE_NATS_READER_PASSWORD=" + readerPassword,
		})
		waitReady(t, "http://"+addr+"/readyz")
		return &stack{t: t, baseURL: "http://" + addr}
	}

	s := run()
	id := s.createService(bootstrapKey, "API")
	if r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, `{"status":"down"}`); r.Status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/openapi.json"} {
		if r := send(t, mustRequest(t, http.MethodGet, s.baseURL+p)); r.Status != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}

	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.autoReceiver("monitor", svc, "major")
	s.report(path, "down")
	s.report(path, "down")
	open := s.awaitIncidents("status=open", 1)
	if open[0]["severity"] != "major" || open[0]["source"] != "receiver" || open[0]["service_ids"].([]any)[0] != svc {
		t.Fatalf("open incident = %v", open[0])
	}
	s.report(path, "operational")
	if u := updates(s.awaitIncidents("status=resolved", 1)[0]); len(u) != 2 || u[1]["status"] != "resolved" {
		t.Fatalf("resolved timeline = %v", u)
	}
	readEvents(t, "nats://"+natsAddr)
	stop()

	s = run()
	r := s.do(http.MethodGet, "/api/v1/services/"+id, bootstrapKey, nil)
	if r.Status != http.StatusOK || r.json(t)["status"] != "down" {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	}
	keys := s.do(http.MethodGet, "/api/v1/api-keys", bootstrapKey, nil).json(t)["data"].([]any)
	if len(keys) != 1 {
		t.Fatalf("bootstrap created %d keys over two starts, want 1", len(keys))
	}
}

const readerUser, readerPassword = "team-reader", "reader-secret"

// readEvents checks bin/upstate's embedded NATS server: a client without
// credentials is refused, and the reader reads the STATUS and INCIDENTS
// streams from a new consumer but cannot publish a forged delivery.
func readEvents(t *testing.T, url string) {
	t.Helper()
	if nc, err := nats.Connect(url); err == nil {
		nc.Close()
		t.Fatal("the embedded NATS server accepted a client without credentials")
	}
	var mu sync.Mutex
	var refused []error
	nc, err := nats.Connect(url, nats.UserInfo(readerUser, readerPassword), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mu.Lock()
		defer mu.Unlock()
		refused = append(refused, err)
	}))
	if err != nil {
		t.Fatalf("the reader cannot connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, stream := range []string{bus.StreamStatus, bus.StreamIncidents} {
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatalf("the reader cannot read %s: %v", stream, err)
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("the reader read nothing from %s: %v", stream, err)
		}
		if msg.Headers().Get(bus.HeaderCEType) == "" {
			t.Errorf("%s: a message without a ce-type", stream)
		}
	}
	subject := bus.IngestSubject("org_forged", "rcv_forged")
	if err := nc.Publish(subject, []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, err := range refused {
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return nil
			}
		}
		return errors.New("the forged delivery was not refused")
	})
}

// standaloneBinary builds bin/upstate and makes it an empty data dir, both
// removed when the test ends.
func standaloneBinary(t *testing.T) (bin, dataDir string) {
	t.Helper()
	bin = filepath.Join(t.TempDir(), "upstate")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/upstatehq/upstate/cmd/upstate").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	// The data dir must be traversable by the postgres user when run as root.
	dataDir, err := os.MkdirTemp("", "upstate-standalone-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dataDir) })
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, dataDir
}
