package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service"
)

// deadLetters runs `upstate dead-letters list|replay`: what consumers gave
// up on, and putting it back on its subject once the cause is fixed. It
// talks to the NATS server a running bin/upstate uses (UPSTATE_NATS_URL, or
// its embedded server at UPSTATE_NATS_LISTEN), as UPSTATE_NATS_USER (the
// embedded server's UPSTATE_NATS_ADMIN_USER) or with UPSTATE_NATS_CREDS.
func deadLetters(ctx context.Context, args []string, out io.Writer) error {
	usage := errors.New("usage: upstate dead-letters list|replay [-consumer NAME] [-limit N]")
	if len(args) == 0 {
		return usage
	}
	fs := flag.NewFlagSet("dead-letters "+args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	consumer := fs.String("consumer", "", "only this durable consumer's dead letters (e.g. status-ingest); all when empty")
	limit := fs.Int("limit", 1000, "at most this many")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *limit < 1 {
		return errors.New("-limit must be at least 1")
	}
	cfg, err := config.Load[Config]()
	if err != nil {
		return err
	}
	url := cfg.NATSURL
	if url == "" {
		url = "nats://" + cfg.NATSListen
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	nc, js, err := bus.ConnectAs(ctx, url, bus.Client{Name: "upstate-dead-letters", Auth: service.NATSAuth(cfg.NATSAuth)}, logging.Discard())
	if err != nil {
		return err
	}
	defer nc.Close()
	switch args[0] {
	case "list":
		dls, err := bus.DeadLetters(ctx, js, *consumer, *limit)
		if err != nil {
			return err
		}
		for _, dl := range dls {
			fmt.Fprintf(out, "%d\t%s\t%s/%s\t%s\tfailures=%s\t%s\n", dl.Seq, dl.At.UTC().Format(time.RFC3339),
				dl.Stream, dl.Consumer, dl.Subject, dl.Failures, dl.Error)
		}
		fmt.Fprintf(out, "%d dead letters\n", len(dls))
		return nil
	case "replay":
		n, err := bus.Replay(ctx, js, *consumer, *limit)
		fmt.Fprintf(out, "%d dead letters replayed\n", n)
		return err
	}
	return usage
}
