// Command drainwatch times, from outside, how fast a JetStream consumer
// works off its backlog: it polls the consumer's info and reports the
// backlog it first saw (messages pending plus delivered but not yet
// acknowledged), when the backlog first shrank and when it was gone.
// `make bench` starts it, then the status service on a backlog of webhook
// deliveries accepted while that service was stopped; a delivery is
// acknowledged once its change, delivery log row and outbox row are
// committed, so the rate it reports is the rate of committed deliveries.
//
// It prints one JSON object:
//
//	{"backlog":N,"drained":N,"seconds":S,"rate":R,"from_start_seconds":S,"timed_out":false}
//
// where seconds runs from the first shrink to the end, and rate is
// drained/seconds. When -timeout passes first, the rate is of what was
// drained until then, and timed_out is true.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "drainwatch:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("drainwatch", flag.ContinueOnError)
	url := fs.String("nats", nats.DefaultURL, "NATS server URL")
	user := fs.String("user", "", "NATS user (with -password)")
	password := fs.String("password", "", "NATS password")
	stream := fs.String("stream", "INGEST", "stream of the consumer")
	consumer := fs.String("consumer", "status-ingest", "durable consumer to watch")
	every := fs.Duration("every", 50*time.Millisecond, "how often to poll")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []nats.Option{nats.Name("drainwatch")}
	if *user != "" {
		opts = append(opts, nats.UserInfo(*user, *password))
	}
	nc, err := nats.Connect(*url, opts...)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", *url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := watch(ctx, *every, func(ctx context.Context) (uint64, error) {
		return backlog(ctx, js, *stream, *consumer)
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// backlog is the consumer's messages not yet acknowledged.
func backlog(ctx context.Context, js jetstream.JetStream, stream, consumer string) (uint64, error) {
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return 0, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// watch polls until the backlog is gone or ctx ends. A consumer not found
// yet is waited for.
func watch(ctx context.Context, every time.Duration, poll func(context.Context) (uint64, error)) (result, error) {
	t := tracker{start: time.Now()}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var lastErr error
	for {
		n, err := poll(ctx)
		if err == nil && t.observe(time.Now(), n) {
			return t.result(false), nil
		}
		if err != nil {
			lastErr = err // the consumer may not exist yet, or a poll timed out
		}
		select {
		case <-ctx.Done():
			if !t.seen {
				return result{}, fmt.Errorf("no backlog seen before the timeout: %w", lastErr)
			}
			return t.result(true), nil
		case <-tick.C:
		}
	}
}
