package natsd

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// syncBuffer is a bytes.Buffer safe for the server's logging goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNATSStartServesJetStream(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv, err := Start(Config{
		Port:     -1,
		StoreDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	if strings.HasSuffix(srv.ClientURL(), ":-1") || strings.HasSuffix(srv.ClientURL(), ":4222") {
		t.Fatalf("ClientURL %s does not carry the chosen port", srv.ClientURL())
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("jetstream account info: %v", err)
	}
	if !strings.Contains(logs.String(), "level=INFO") {
		t.Errorf("server notices not bridged to slog at info; logs:\n%s", logs.String())
	}
}

func TestNATSStartSyncAlways(t *testing.T) {
	t.Parallel()
	for _, sync := range []bool{false, true} {
		srv, err := Start(Config{Port: -1, StoreDir: t.TempDir(), SyncAlways: sync})
		if err != nil {
			t.Fatal(err)
		}
		got := srv.srv.JetStreamConfig().SyncAlways
		srv.Shutdown()
		if got != sync {
			t.Errorf("SyncAlways %v: server has %v", sync, got)
		}
	}
}

func TestNATSStartFailsClearly(t *testing.T) {
	t.Parallel()
	if _, err := Start(Config{Port: -1}); err == nil || !strings.Contains(err.Error(), "store dir") {
		t.Errorf("no store dir: got %v", err)
	}

	first, err := Start(Config{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Shutdown()
	u, err := url.Parse(first.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	_, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)

	// The listen failure reaches the server's Fatalf, which must neither
	// exit the test binary nor leave Start waiting for readiness.
	var logs syncBuffer
	start := time.Now()
	_, err = Start(Config{
		Port:     port,
		StoreDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err == nil {
		t.Fatal("second server on a busy port started")
	}
	if !strings.Contains(err.Error(), "listen") {
		t.Errorf("error does not say why: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failure took %s, want it reported at once", d)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "fatal=true") {
		t.Errorf("fatal not logged at error; logs:\n%s", logs.String())
	}
}

// Users' passwords are given to the server hashed: a client connects with
// the password, a wrong one is refused, and the server sees no plaintext
// password to warn about.
func TestNATSStartHashesPasswords(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv, err := Start(Config{
		Port:     -1,
		StoreDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		Users:    []User{{Name: "svc", Password: "s3cret-but-long-and-random"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("svc", "s3cret-but-long-and-random"))
	if err != nil {
		t.Fatalf("connect with the password: %v", err)
	}
	nc.Close()
	if nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("svc", "wrong")); err == nil {
		nc.Close()
		t.Fatal("connected with a wrong password")
	}
	if strings.Contains(logs.String(), "Plaintext") {
		t.Errorf("server warns of plaintext passwords:\n%s", logs.String())
	}
}
