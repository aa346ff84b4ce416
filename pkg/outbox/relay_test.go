package outbox

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// logBuffer is a log destination that goroutines share.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newOutbox returns an empty outbox in a database of its own.
func newOutbox(t testing.TB) *Outbox {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if _, err := pool.Exec(context.Background(), `CREATE TABLE outbox (
		id bigserial PRIMARY KEY, subject text NOT NULL, msg_id text NOT NULL, ce_type text NOT NULL,
		ce_source text NOT NULL, ce_time timestamptz NOT NULL, payload bytea NOT NULL,
		trace_parent text NOT NULL DEFAULT '', trace_state text NOT NULL DEFAULT '')`); err != nil {
		t.Fatal(err)
	}
	return New(pool, "outbox")
}

// write commits events to o in one transaction.
func write(t testing.TB, o *Outbox, events ...bus.Event) {
	t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, o.pool, func(tx pgx.Tx) error { return o.Write(ctx, tx, events...) }); err != nil {
		t.Fatal(err)
	}
}

// newFailingRelay returns a relay with one event pending whose publish
// keeps failing (no stream takes its subject), and its log.
func newFailingRelay(t testing.TB) (*Relay, *logBuffer) {
	t.Helper()
	ctx := context.Background()
	o := newOutbox(t)
	write(t, o, bus.Event{Subject: "upstate.nowhere.org_a.x", ID: "x:1", Type: "test.v1.Event",
		Source: "test", Time: time.Now(), Data: []byte{}})
	srv := testenv.StartNATS(t)
	nc, js, err := bus.Connect(ctx, srv.ClientURL(), "outbox-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	logs := &logBuffer{}
	return NewRelay(o, js, slog.New(slog.NewTextHandler(logs, nil)), time.Hour), logs
}

// A relay backing off after failed publishes stops promptly when its
// context ends, not when the pause is over.
func TestRelayStopsDuringBackoff(t *testing.T) {
	t.Parallel()
	r, logs := newFailingRelay(t)
	r.backoff = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	testenv.Eventually(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), "outbox relay failed") {
			return errors.New("no failed run logged yet")
		}
		return nil
	})
	// Woken after a failure, the relay backs off before its next run.
	r.Notify()
	testenv.Eventually(t, 10*time.Second, func() error {
		if len(r.kick) > 0 {
			return errors.New("notification not taken yet")
		}
		return nil
	})

	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("relay still running 3s after its context ended")
	}
}
