// Command outboxtx measures what a Postgres does in raw outbox-shaped
// transactions, one per event, the shape of applying one status change
// with its outbox row: lock a row, update it, insert a row, commit. It is
// the baseline that upstate's ingest and API are compared with in
// `make bench`, measured against the same server in the same run.
//
// It creates (afresh) the schema bench_outbox in the database of -dsn,
// with one row per client so that clients never wait on each other's
// locks, then runs -c clients in a closed loop for a warm-up and a
// measured period and prints one summary line (or JSON with -json):
//
//	name  tx/s  p50  p99  max  errors
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "outboxtx:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	dsn      string
	clients  int
	duration time.Duration
	warmup   time.Duration
	name     string
	json     bool
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("outboxtx", flag.ContinueOnError)
	fs.StringVar(&cfg.dsn, "dsn", "", "Postgres connection URL (required)")
	fs.IntVar(&cfg.clients, "c", 32, "concurrent clients, each on its own connection and row")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before measuring")
	fs.StringVar(&cfg.name, "name", "outbox-tx", "label for the summary")
	fs.BoolVar(&cfg.json, "json", false, "print the summary as JSON")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case cfg.dsn == "":
		return config{}, errors.New("-dsn is required")
	case cfg.clients < 1 || cfg.duration <= 0 || cfg.warmup < 0:
		return config{}, errors.New("-c and -d must be positive and -warmup not negative")
	}
	return cfg, nil
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Fprintf(os.Stderr, "outboxtx: %d clients, %v warm-up + %v measured\n", cfg.clients, cfg.warmup, cfg.duration)
	res, err := measure(ctx, cfg)
	if err != nil {
		return err
	}
	rep := newReport(cfg, res)
	if cfg.json {
		if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
			return fmt.Errorf("write json report: %w", err)
		}
	} else {
		fmt.Println(rep.line())
	}
	if rep.Transactions == 0 {
		return errors.New("no transaction committed in the measured period")
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d transactions failed; first: %s", rep.Errors, res.firstErr)
	}
	return nil
}
