// Package tail reads upstate's event streams through ephemeral ordered
// consumers and turns each event into JSON: its stream, sequence,
// subject, time, CloudEvents type and id, and the protobuf event itself
// decoded with protojson.
package tail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/upstatehq/upstate/pkg/bus"
	// The event types, registered so that ce-type finds them.
	_ "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	_ "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	_ "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	_ "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// Streams are the streams a reader may tail, by name, with the subjects
// they hold.
var Streams = map[string]string{
	bus.StreamStatus:    bus.SubjectsStatus,
	bus.StreamIncidents: bus.SubjectsIncidents,
	bus.StreamSLA:       bus.SubjectsSLA,
	bus.StreamAlerts:    bus.SubjectsAlerts,
}

// DefaultStreams are those tailed unless told otherwise.
var DefaultStreams = []string{bus.StreamStatus, bus.StreamIncidents}

// Options say what to read.
type Options struct {
	// Streams to read (names of Streams).
	Streams []string
	// Subject filters the events (NATS wildcards allowed); empty: all.
	Subject string
	// Since starts with the events stored from this time on; zero: only
	// events published from now on.
	Since time.Time
	// Count stops after that many events; 0: never.
	Count int
}

// Event is one event as printed.
type Event struct {
	Stream  string    `json:"stream"`
	Seq     uint64    `json:"seq"`
	Subject string    `json:"subject"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	ID      string    `json:"id,omitempty"`
	// Event is the protobuf event as JSON (field names as in the .proto);
	// Data holds the raw bytes, base64, when the type is unknown.
	Event json.RawMessage `json:"event,omitempty"`
	Data  []byte          `json:"data,omitempty"`
}

// ErrNoStream is returned when the subject filter matches none of the
// streams asked for.
var ErrNoStream = errors.New("no stream holds the subject")

// Plan returns, for each stream to read, its subject filter: the
// options' subject on the streams whose subjects it overlaps.
func Plan(opts Options) (map[string]string, error) {
	plan := map[string]string{}
	for _, s := range opts.Streams {
		subjects, ok := Streams[s]
		if !ok {
			return nil, fmt.Errorf("unknown stream %q (valid: STATUS, INCIDENTS, SLA, ALERTS)", s)
		}
		switch {
		case opts.Subject == "":
			plan[s] = subjects
		case Overlap(opts.Subject, subjects):
			plan[s] = opts.Subject
		}
	}
	if len(plan) == 0 {
		return nil, fmt.Errorf("%w %q among %s", ErrNoStream, opts.Subject, strings.Join(opts.Streams, ", "))
	}
	return plan, nil
}

// Overlap reports whether some subject matches both NATS subject
// filters a and b.
func Overlap(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(at) && i < len(bt); i++ {
		switch {
		case at[i] == ">" || bt[i] == ">":
			return true
		case at[i] == "*" || bt[i] == "*" || at[i] == bt[i]:
		default:
			return false
		}
	}
	return len(at) == len(bt)
}

// Run reads the streams and calls emit for each event, until ctx ends,
// Count events were emitted, or emit or a consumer fails. Events of one
// stream come in stream order; the streams are interleaved as they come.
func Run(ctx context.Context, js jetstream.JetStream, opts Options, emit func(Event) error) error {
	plan, err := Plan(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan Event)
	errs := make(chan error, len(plan))
	for stream, subject := range plan {
		cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
		if !opts.Since.IsZero() {
			since := opts.Since
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
		}
		cons, err := js.OrderedConsumer(ctx, stream, cfg)
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		msgs, err := cons.Messages()
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		go func() {
			<-ctx.Done()
			msgs.Stop()
		}()
		go func() { errs <- pump(ctx, stream, msgs, events) }()
	}
	for n := 0; opts.Count == 0 || n < opts.Count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case ev := <-events:
			if err := emit(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// pump sends the events of one consumer to events until ctx ends.
func pump(ctx context.Context, stream string, msgs jetstream.MessagesContext, events chan<- Event) error {
	for {
		msg, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", stream, err)
		}
		ev, err := Decode(stream, msg)
		if err != nil {
			return err
		}
		select {
		case events <- ev:
		case <-ctx.Done():
			return nil
		}
	}
}

// protoJSON writes the field names of the .proto, as the REST API does.
var protoJSON = protojson.MarshalOptions{UseProtoNames: true}

// Decode turns a stream message into an Event.
func Decode(stream string, msg jetstream.Msg) (Event, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Event{}, fmt.Errorf("read %s: %w", stream, err)
	}
	ev := Event{
		Stream: stream, Seq: meta.Sequence.Stream, Subject: msg.Subject(), Time: meta.Timestamp.UTC(),
		Type: msg.Headers().Get(bus.HeaderCEType), ID: msg.Headers().Get(bus.HeaderCEID),
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(ev.Type))
	if err != nil {
		ev.Data = msg.Data() // a type newer than this binary: the bytes as they are
		return ev, nil
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(msg.Data(), m); err != nil {
		return Event{}, fmt.Errorf("decode %s event %d (%s): %w", stream, ev.Seq, ev.Type, err)
	}
	raw, err := protoJSON.Marshal(m)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event %d: %w", stream, ev.Seq, err)
	}
	ev.Event = raw
	return ev, nil
}
