package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Every transaction counted committed its update and its outbox row, and
// each client's row stepped one version per transaction.
func TestMeasureCommitsOutboxShapedTransactions(t *testing.T) {
	t.Parallel()
	dsn := testenv.NewDatabase(t)
	cfg, err := parseFlags([]string{"-dsn", dsn, "-c", "3", "-d", "300ms", "-warmup", "0s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := measure(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.commits == 0 || res.errors != 0 || res.hist.Count() != res.commits {
		t.Fatalf("commits %d, errors %d (%s), latencies %d", res.commits, res.errors, res.firstErr, res.hist.Count())
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var outboxRows, versions int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM bench_outbox.outbox), (SELECT sum(version - 1) FROM bench_outbox.services)`).Scan(&outboxRows, &versions); err != nil {
		t.Fatal(err)
	}
	// Transactions ending just past the window are committed but not counted.
	if outboxRows != versions || uint64(outboxRows) < res.commits || uint64(outboxRows) > res.commits+3 {
		t.Fatalf("%d outbox rows, %d version steps, %d commits counted", outboxRows, versions, res.commits)
	}
	rep := newReport(cfg, res)
	if rep.TPS != float64(res.commits)/0.3 || !strings.HasPrefix(rep.line(), "outbox-tx") {
		t.Fatalf("report %+v, line %q", rep, rep.line())
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-dsn", "postgres://x", "-c", "8", "-d", "1s"})
	if err != nil || cfg.clients != 8 || cfg.duration != time.Second || cfg.warmup != 2*time.Second {
		t.Fatalf("parseFlags = %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{}, {"-dsn", "x", "-c", "0"}, {"-dsn", "x", "-d", "0s"}, {"-dsn", "x", "extra"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
