// Command eventlat measures how long a webhook delivery takes from its
// acceptance (the gateway's 202) to its StatusChanged event on the STATUS
// stream, as an internal team subscribing to the stream sees it. It sends
// signed deliveries at a fixed rate (an open loop, unlike loadgen), spread
// over -url receivers, each receiver's deliveries one after another and
// alternating down/operational so that each is a change; it reads STATUS
// with an ordered consumer from its start, as the reader user of
// bin/upstate may, and matches each event to its delivery by delivery_id.
// The latency is from the 202 to the time the stream stored the event.
//
// Give it receivers of services that are operational, so that the first
// delivery (down) changes them. It prints one JSON object with the rate,
// the latencies' p50/p99/max and how many measured deliveries had no
// event within -settle after the run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "eventlat:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	urls     []string
	secret   string
	sigHdr   string
	rate     float64
	duration time.Duration
	warmup   time.Duration
	settle   time.Duration
	natsURL  string
	user     string
	password string
	stream   string
}

func parseFlags(args []string) (config, error) {
	var (
		cfg  config
		urls stringList
	)
	fs := flag.NewFlagSet("eventlat", flag.ContinueOnError)
	fs.Var(&urls, "url", "webhook receiver URL (repeatable; required)")
	fs.StringVar(&cfg.secret, "hmac-secret", "", "the receivers' signing secret")
	fs.StringVar(&cfg.sigHdr, "hmac-header", "X-Webhook-Signature", "header carrying the signature")
	fs.Float64Var(&cfg.rate, "rate", 100, "deliveries per second, over all receivers")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before measuring")
	fs.DurationVar(&cfg.settle, "settle", 10*time.Second, "how long to wait after the run for the last events")
	fs.StringVar(&cfg.natsURL, "nats", nats.DefaultURL, "NATS server URL")
	fs.StringVar(&cfg.user, "user", "", "NATS user (with -password)")
	fs.StringVar(&cfg.password, "password", "", "NATS password")
	fs.StringVar(&cfg.stream, "stream", "STATUS", "the stream StatusChanged events are on")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg.urls = urls
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case len(cfg.urls) == 0:
		return config{}, errors.New("-url is required")
	case cfg.rate <= 0 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.settle < 0:
		return config{}, errors.New("-rate and -d must be positive, -warmup and -settle not negative")
	}
	return cfg, nil
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	opts := []nats.Option{nats.Name("eventlat")}
	if cfg.user != "" {
		opts = append(opts, nats.UserInfo(cfg.user, cfg.password))
	}
	nc, err := nats.Connect(cfg.natsURL, opts...)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.natsURL, err)
	}
	defer nc.Close()
	ctx := context.Background()
	events, err := subscribe(ctx, nc, cfg.stream)
	if err != nil {
		return err
	}
	defer events.stop()
	fmt.Fprintf(os.Stderr, "eventlat: %.0f deliveries/s over %d receivers, %v warm-up + %v measured\n",
		cfg.rate, len(cfg.urls), cfg.warmup, cfg.duration)
	sent := send(ctx, cfg)
	rep := settle(sent, events, cfg.settle)
	rep.Rate = cfg.rate
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if rep.Matched == 0 {
		return errors.New("no measured delivery reached the stream")
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
