package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/tail"
)

func (a *app) eventsCmd() *cobra.Command {
	var natsURL, creds, subject, since string
	var streams []string
	var count int
	t := &cobra.Command{
		Use:   "tail",
		Short: "Print the events of the status and incidents streams as they come",
		Long: `Print upstate's events as they are published, one JSON object per line:
{"stream","seq","subject","time","type","id","event"}, where type is the
CloudEvents type (the protobuf message's name) and event the message as
JSON, with the field names of its .proto.

It reads through an ephemeral consumer, which leaves nothing behind on the
server. The NATS server is --nats-url, else UPSTATE_NATS_URL, else the
context's nats-url, else ` + defaultNATSURL + ` (bin/upstate's embedded server);
credentials go in the URL (nats://user:password@host:4222: bin/upstate's
reader, UPSTATE_NATS_READER_USER) or in a credentials file
(--nats-creds, UPSTATE_NATS_CREDS).

Without --since only new events are printed; --since 1h (or an RFC 3339
time) first prints those stored since then.`,
		Args: args(),
		Example: `  export UPSTATE_NATS_URL=nats://events:secret@127.0.0.1:4222
  upstatectl events tail
  upstatectl events tail --since 1h --subject 'upstate.status.*.svc_01jdq3m8z6k4t7v9x2b5c8e0fg'
  upstatectl events tail --stream ALERTS --stream SLA
  upstatectl events tail --count 1 | jq .event`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := tail.Options{Streams: streams, Subject: subject, Count: count}
			if since != "" {
				from, err := sinceTime(since, a.env.Clock.Now())
				if err != nil {
					return err
				}
				opts.Since = from
			}
			if count < 0 {
				return usagef("--count must not be negative")
			}
			if _, err := tail.Plan(opts); err != nil {
				return usageError{err}
			}
			c, err := a.context()
			if err != nil {
				return err
			}
			url := first(natsURL, a.env.Getenv("UPSTATE_NATS_URL"), c.NATSURL, defaultNATSURL)
			connOpts := []nats.Option{nats.Name("upstatectl"), nats.Timeout(5 * time.Second)}
			if f := first(creds, a.env.Getenv("UPSTATE_NATS_CREDS"), c.NATSCreds); f != "" {
				connOpts = append(connOpts, nats.UserCredentials(f))
			}
			nc, err := nats.Connect(url, connOpts...)
			if err != nil {
				return fmt.Errorf("connect to NATS: %w", err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return fmt.Errorf("jetstream: %w", err)
			}
			out := cmd.OutOrStdout()
			return tail.Run(cmd.Context(), js, opts, func(ev tail.Event) error {
				b, err := json.Marshal(ev)
				if err != nil {
					return fmt.Errorf("encode event: %w", err)
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			})
		},
	}
	f := t.Flags()
	f.StringVar(&natsURL, "nats-url", "", "the NATS server, credentials in the URL allowed (env UPSTATE_NATS_URL)")
	f.StringVar(&creds, "nats-creds", "", "a NATS credentials file (env UPSTATE_NATS_CREDS)")
	f.StringVar(&subject, "subject", "", "only events on this subject (wildcards * and > allowed), e.g. upstate.status.>")
	f.StringVar(&since, "since", "", "first print the events stored since this long ago (1h) or this RFC 3339 time")
	f.StringSliceVar(&streams, "stream", tail.DefaultStreams, "the streams to read: STATUS, INCIDENTS, SLA, ALERTS (repeatable)")
	f.IntVar(&count, "count", 0, "stop after this many events (default: never)")
	_ = t.RegisterFlagCompletionFunc("stream", fixed("STATUS", "INCIDENTS", "SLA", "ALERTS"))
	return group("events", "Read upstate's event streams", "", t)
}

// sinceTime reads --since: a duration before now or an RFC 3339 time.
func sinceTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--since %q is neither a duration (1h) nor an RFC 3339 time", s)
	}
	return t, nil
}
