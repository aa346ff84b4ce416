package outbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// connect starts a JetStream server with upstate's streams and connects
// to it.
func connect(t testing.TB) jetstream.JetStream {
	t.Helper()
	ctx := context.Background()
	srv := testenv.StartNATS(t)
	nc, js, err := bus.Connect(ctx, srv.ClientURL(), "outbox-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return js
}

// statusEvents returns versions 1 to versions of each of services
// services, in the order an outbox holds them when the services change
// in turn: every service's first version, then every second one, and so
// on.
func statusEvents(services, versions int) []bus.Event {
	events := make([]bus.Event, 0, services*versions)
	for v := 1; v <= versions; v++ {
		for s := range services {
			svc := fmt.Sprintf("svc_%d", s)
			events = append(events, bus.Event{
				Subject: bus.StatusSubject("org_1", svc), ID: fmt.Sprintf("%s:%d", svc, v),
				Type: "upstate.status.v1.StatusChanged", Source: "upstate/test", Time: time.Now(),
				Data: fmt.Appendf(nil, "%s-%d", svc, v),
			})
		}
	}
	return events
}

// setMaxMsgSize changes the largest message STATUS takes (-1: any).
func setMaxMsgSize(t testing.TB, js jetstream.JetStream, size int32) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxMsgSize = size
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}

// storedVersions returns the versions of each subject's events in the
// order STATUS stores them, and how many messages it holds.
func storedVersions(t testing.TB, js jetstream.JetStream) (map[string][]int, int) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	versions := make(map[string][]int)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get STATUS #%d: %v", seq, err)
		}
		_, v, _ := strings.Cut(m.Header.Get(bus.HeaderCEID), ":")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("STATUS #%d: ce-id %q", seq, m.Header.Get(bus.HeaderCEID))
		}
		versions[m.Subject] = append(versions[m.Subject], n)
	}
	return versions, int(info.State.Msgs)
}

// pendingIDs returns the message ids the outbox holds, oldest first.
func pendingIDs(t testing.TB, o *Outbox) []string {
	t.Helper()
	rows, err := o.pool.Query(context.Background(), `SELECT msg_id FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// A publish failing in the middle of a batch holds back the later events
// of its subject only: they stay in the outbox with it, the events of
// other subjects go out and are deleted, and the next run stores the rest
// after what came before, so each service's versions are stored in order
// and none is lost.
func TestRelayKeepsSubjectOrderWhenAPublishFails(t *testing.T) {
	t.Parallel()
	const services, versions = 20, 10
	o := newOutbox(t)
	js := connect(t)
	events := statusEvents(services, versions)
	// svc_3's fourth version is refused: STATUS takes nothing over 1 KiB.
	bad := slices.IndexFunc(events, func(e bus.Event) bool { return e.ID == "svc_3:4" })
	events[bad].Data = make([]byte, 2048)
	write(t, o, events...)
	setMaxMsgSize(t, js, 1024)
	r := NewRelay(o, js, logging.Discard(), time.Hour)

	if err := r.drain(context.Background()); err == nil {
		t.Fatal("relay with a refused event reported no error")
	}
	var want []string
	for v := 4; v <= versions; v++ {
		want = append(want, fmt.Sprintf("svc_3:%d", v))
	}
	if got := pendingIDs(t, o); !slices.Equal(got, want) {
		t.Errorf("after the failed run the outbox holds %v, want %v", got, want)
	}

	setMaxMsgSize(t, js, -1)
	if err := r.drain(context.Background()); err != nil {
		t.Fatalf("relay once the stream takes the event: %v", err)
	}
	if got := pendingIDs(t, o); len(got) != 0 {
		t.Errorf("outbox still holds %v", got)
	}
	got, n := storedVersions(t, js)
	if n != services*versions {
		t.Errorf("STATUS holds %d events, want %d", n, services*versions)
	}
	inOrder := make([]int, versions)
	for i := range inOrder {
		inOrder[i] = i + 1
	}
	for s := range services {
		subject := bus.StatusSubject("org_1", fmt.Sprintf("svc_%d", s))
		if !slices.Equal(got[subject], inOrder) {
			t.Errorf("%s stored versions %v, want %v", subject, got[subject], inOrder)
		}
	}
}
