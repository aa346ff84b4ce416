package standalone

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	status "github.com/upstatehq/upstate/services/status/app"
)

// authConf is the generated configuration deployments give their NATS
// server.
const authConf = "../../../deploy/nats/auth.conf"

func TestNATSConfigIsCurrent(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	if err := NATSConfig(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(authConf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("deploy/nats/auth.conf is stale; rewrite it with: go run ./cmd/upstate nats-config > deploy/nats/auth.conf")
	}
}

// A NATS server started with the generated configuration has the users
// of the embedded one, with their passwords from its environment, and
// holds them to the same permissions.
func TestNATSConfigGivesServerTheServicesUsers(t *testing.T) {
	auths := map[string]bus.Auth{}
	for unit, perm := range servicePermissions() {
		if u := perm(unit); u.Publish == nil && u.Subscribe == nil {
			continue
		}
		auths[unit] = bus.Auth{User: NATSUser(unit), Password: unit + "-password"}
		t.Setenv(PasswordVar(unit), unit+"-password")
	}
	t.Setenv(ReaderUserVar, readerName)
	t.Setenv(ReaderPasswordVar, readerPassword)
	// As docker-compose.yml starts it: this configuration, and JetStream
	// and its storage from the command line.
	opts, err := server.ProcessConfigFile(filepath.Join(filepath.Dir(authConf), "nats.conf"))
	if err != nil {
		t.Fatalf("the server refuses the configuration: %v", err)
	}
	opts.Port, opts.JetStream, opts.StoreDir = -1, true, t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	s := &authServer{url: srv.ClientURL(), auths: auths}

	_, statusJS := s.service(t, status.Name, nil)
	publish(t, statusJS, bus.StatusSubject("org", "svc"))
	var e errs
	nc, js := s.service(t, gateway.Name, &e)
	publish(t, js, bus.IngestSubject("org", "rcv"))
	if err := nc.Publish(bus.StatusSubject("org", "svc"), []byte("forged")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.StatusSubject("org", "svc")) })
	_, readerJS := s.connect(t, "", bus.Auth{User: readerName, Password: readerPassword})
	if _, err := readOne(readerJS, bus.StreamStatus); err != nil {
		t.Errorf("the reader cannot read STATUS: %v", err)
	}
	if _, err := readOne(readerJS, bus.StreamIngest); err == nil {
		t.Error("the reader read INGEST")
	}
}
