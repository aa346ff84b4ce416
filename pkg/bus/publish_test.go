package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestEnsureStreamsCreatesDurableStreamsIdempotently(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t) // first EnsureStreams
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{Replicas: 1}); err != nil {
		t.Fatalf("second EnsureStreams: %v", err)
	}

	tests := []struct {
		name, subjects    string
		maxAge, dupWindow time.Duration
	}{
		{bus.StreamStatus, "upstate.status.>", 30 * 24 * time.Hour, 24 * time.Hour},
		{bus.StreamSLA, "upstate.sla.>", 30 * 24 * time.Hour, 24 * time.Hour},
		{bus.StreamAlerts, "upstate.alerts.>", 7 * 24 * time.Hour, 24 * time.Hour},
		{bus.StreamNotify, "upstate.notify.>", 3 * 24 * time.Hour, 24 * time.Hour},
		{bus.StreamDLQ, "upstate.dlq.>", 14 * 24 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		s, err := js.Stream(ctx, tt.name)
		if err != nil {
			t.Fatalf("stream %s: %v", tt.name, err)
		}
		cfg := s.CachedInfo().Config
		if len(cfg.Subjects) != 1 || cfg.Subjects[0] != tt.subjects {
			t.Errorf("%s subjects %v, want %s", tt.name, cfg.Subjects, tt.subjects)
		}
		if cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 {
			t.Errorf("%s storage %v replicas %d, want file storage, 1 replica", tt.name, cfg.Storage, cfg.Replicas)
		}
		if cfg.MaxAge != tt.maxAge || cfg.Duplicates != tt.dupWindow {
			t.Errorf("%s max age %s, duplicate window %s; want %s, %s", tt.name, cfg.MaxAge, cfg.Duplicates, tt.maxAge, tt.dupWindow)
		}
	}
	kv, err := js.KeyValue(ctx, bus.FailuresBucket)
	if err != nil {
		t.Fatalf("bucket %s: %v", bus.FailuresBucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 24*time.Hour || st.History() != 1 {
		t.Errorf("bucket %s ttl %s, history %d; want 24h, 1", bus.FailuresBucket, st.TTL(), st.History())
	}
}

func TestPublishStoresDuplicateMsgIDOnce(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	ctx := context.Background()
	e := statusEvent("org_1", "svc_1", 1)
	for range 2 {
		if err := bus.Publish(ctx, js, e); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, js, bus.StreamStatus); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}
	if err := bus.Publish(ctx, js, statusEvent("org_1", "svc_1", 2)); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, js, bus.StreamStatus); n != 2 {
		t.Fatalf("stored %d messages after a new id, want 2", n)
	}

	m := getMsg(t, js, bus.StreamStatus, 1)
	if m.Subject != "upstate.status.org_1.svc_1" || string(m.Data) != "svc_1-1" {
		t.Errorf("stored %s %q", m.Subject, m.Data)
	}
	want := map[string]string{
		"ce-specversion":      "1.0",
		"ce-id":               "svc_1:1",
		"ce-type":             "upstate.status.v1.StatusChanged",
		"ce-source":           "upstate/test",
		"ce-time":             "2025-01-02T03:04:05.000000006Z",
		"content-type":        "application/protobuf",
		jetstream.MsgIDHeader: "svc_1:1",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

// A service keeps current only the streams it owns: one it does not own
// is created when missing and otherwise left as its owner defined it.
func TestEnsureStreamsUpdatesOnlyOwnedStreams(t *testing.T) {
	t.Parallel()
	srv := testenv.StartNATS(t)
	nc, js, err := bus.Connect(context.Background(), srv.ClientURL(), t.Name(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := context.Background()
	// STATUS as its owner might have it after an edit of its own.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: bus.StreamStatus, Subjects: []string{bus.SubjectsStatus},
		Storage: jetstream.FileStorage, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{Owned: []string{bus.StreamIncidents}}); err != nil {
		t.Fatal(err)
	}
	maxAge := func(stream string) time.Duration {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
		return s.CachedInfo().Config.MaxAge
	}
	if got := maxAge(bus.StreamStatus); got != time.Hour {
		t.Errorf("another service's STATUS max age became %s, want its owner's 1h", got)
	}
	if got := maxAge(bus.StreamIngest); got == 0 {
		t.Error("missing INGEST not created")
	}
	// Its owner brings it to the current definition.
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{Owned: []string{bus.StreamStatus}}); err != nil {
		t.Fatal(err)
	}
	if got := maxAge(bus.StreamStatus); got != 30*24*time.Hour {
		t.Errorf("owner left STATUS max age at %s, want 30 days", got)
	}
}
