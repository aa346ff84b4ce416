package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
)

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

// storedIDs returns the ids of each subject's events in the order STATUS
// stores them.
func storedIDs(t testing.TB, js jetstream.JetStream) map[string][]string {
	t.Helper()
	ids := make(map[string][]string)
	for seq := uint64(1); seq <= streamMsgs(t, js, bus.StreamStatus); seq++ {
		m := getMsg(t, js, bus.StreamStatus, seq)
		ids[m.Subject] = append(ids[m.Subject], m.Header.Get(bus.HeaderCEID))
	}
	return ids
}

// A publish that fails stops its subject there, and only its subject:
// the error says which events were stored, and publishing the others
// again stores every subject's events in batch order.
func TestPublishOrderedHoldsBackASubjectAfterAFailure(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	const services, versions = 30, 8
	var events []bus.Event
	for v := 1; v <= versions; v++ {
		for s := range services {
			events = append(events, statusEvent("org_1", fmt.Sprintf("svc_%d", s), v))
		}
	}
	// STATUS refuses svc_7's third version, over its size limit.
	bad := slices.IndexFunc(events, func(e bus.Event) bool { return e.ID == "svc_7:3" })
	events[bad].Data = make([]byte, 2048)
	setMaxMsgSize(t, js, 1024)

	err := bus.PublishOrdered(context.Background(), js, events)
	var perr *bus.PublishError
	if !errors.As(err, &perr) {
		t.Fatalf("publish with a refused event: %v, want a *bus.PublishError", err)
	}
	if perr.Failed != 1 || !strings.Contains(perr.Error(), "svc_7:3") {
		t.Errorf("failed %d: %v; want one failure, svc_7:3's", perr.Failed, perr)
	}
	var rest []bus.Event
	for i, e := range events {
		held := strings.HasPrefix(e.ID, "svc_7:") && e.ID >= "svc_7:3"
		if perr.Stored[i] == held {
			t.Errorf("%s stored %t, want %t", e.ID, perr.Stored[i], !held)
		}
		if !perr.Stored[i] {
			rest = append(rest, e)
		}
	}
	if n := streamMsgs(t, js, bus.StreamStatus); n != services*versions-(versions-2) {
		t.Errorf("STATUS holds %d events, want %d", n, services*versions-(versions-2))
	}

	setMaxMsgSize(t, js, -1)
	if err := bus.PublishOrdered(context.Background(), js, rest); err != nil {
		t.Fatalf("publish the rest: %v", err)
	}
	got := storedIDs(t, js)
	for s := range services {
		svc := fmt.Sprintf("svc_%d", s)
		var want []string
		for v := 1; v <= versions; v++ {
			want = append(want, fmt.Sprintf("%s:%d", svc, v))
		}
		if subject := bus.StatusSubject("org_1", svc); !slices.Equal(got[subject], want) {
			t.Errorf("%s stored %v, want %v", subject, got[subject], want)
		}
	}
}

func TestPublishOrderedStoresEachEventOnce(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	events := make([]bus.Event, 500)
	for i := range events {
		events[i] = statusEvent("org_1", fmt.Sprintf("svc_%d", i%7), i)
	}
	for range 2 { // the second time, JetStream drops every copy
		if err := bus.PublishOrdered(context.Background(), js, events); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, js, bus.StreamStatus); n != uint64(len(events)) {
		t.Fatalf("stored %d messages, want %d", n, len(events))
	}
	if err := bus.PublishOrdered(context.Background(), js, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}

// A context that has ended stores nothing and says so.
func TestPublishOrderedEndedContext(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	events := []bus.Event{statusEvent("org_1", "svc_1", 1), statusEvent("org_1", "svc_2", 1), statusEvent("org_1", "svc_1", 2)}
	err := bus.PublishOrdered(ctx, js, events)
	var perr *bus.PublishError
	if !errors.As(err, &perr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("publish with an ended context: %v", err)
	}
	if perr.Failed != 2 || slices.Contains(perr.Stored, true) {
		t.Errorf("failed %d, stored %v; want 2 failures (one per subject), nothing stored", perr.Failed, perr.Stored)
	}
	if n := streamMsgs(t, js, bus.StreamStatus); n != 0 {
		t.Errorf("stored %d messages", n)
	}
}
