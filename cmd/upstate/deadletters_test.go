package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// `upstate dead-letters list` shows what a consumer gave up on and
// `replay` puts it back on its subject.
func TestDeadLettersCommand(t *testing.T) {
	url := testenv.StartNATS(t).ClientURL()
	t.Setenv("UPSTATE_NATS_URL", url)
	ctx := context.Background()
	nc, js, err := bus.Connect(ctx, url, "test", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	dl := nats.NewMsg(bus.DLQSubject(bus.StreamIngest, "status-ingest"))
	dl.Data = []byte("payload")
	dl.Header.Set(bus.HeaderOriginalSubject, bus.IngestSubject("org_a", "whr_1"))
	dl.Header.Set(bus.HeaderError, "decode: bad protobuf")
	if _, err := js.PublishMsg(ctx, dl); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := deadLetters(ctx, []string{"list", "-consumer", "status-ingest"}, &out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "INGEST/status-ingest\tupstate.ingest.org_a.whr_1") || !strings.Contains(s, "decode: bad protobuf") || !strings.HasSuffix(s, "1 dead letters\n") {
		t.Fatalf("list printed:\n%s", s)
	}
	out.Reset()
	if err := deadLetters(ctx, []string{"replay"}, &out); err != nil || out.String() != "1 dead letters replayed\n" {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	st, err := js.Stream(ctx, bus.StreamIngest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, bus.IngestSubject("org_a", "whr_1"))
	if err != nil || string(m.Data) != "payload" || m.Header.Get(bus.HeaderError) != "" {
		t.Fatalf("replayed message = %+v, %v", m, err)
	}
	if err := deadLetters(ctx, []string{"purge"}, &out); err == nil {
		t.Fatal("an unknown subcommand was accepted")
	}
}
