package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", fmt.Errorf("get service: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection refused", refused, true},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"connection closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
		{"deadline", fmt.Errorf("acquire: %w", context.DeadlineExceeded), true},
		{"unique violation", &pgconn.PgError{Code: pgdb.CodeUniqueViolation}, false},
		{"undefined table", fmt.Errorf("list: %w", &pgconn.PgError{Code: "42P01"}), false},
		{"query cancelled by the caller", context.Canceled, false},
		{"other", errors.New("decode row: bad value"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pgdb.IsUnavailable(tt.err); got != tt.want {
				t.Errorf("IsUnavailable(%v) = %t, want %t", tt.err, got, tt.want)
			}
		})
	}
}

// What pgx says while the database refuses connections, and what it says
// about a bad statement, from a real server.
func TestIsUnavailableOnARealOutage(t *testing.T) {
	t.Parallel()
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, `SELECT * FROM nowhere`); err == nil || pgdb.IsUnavailable(err) {
		t.Fatalf("a missing table: %v, want an error that is not unavailability", err)
	}

	restore := testenv.RefuseConnections(t, dsn)
	// The first statement may meet a connection ended under it, the next
	// ones a refused connection: both are unavailability.
	for range 3 {
		_, err := pool.Exec(ctx, `SELECT 1`)
		if err == nil || !pgdb.IsUnavailable(err) {
			t.Fatalf("database refusing connections: %v, want unavailable", err)
		}
	}

	restore()
	testenv.Eventually(t, 10*time.Second, func() error {
		_, err := pool.Exec(ctx, `SELECT 1`)
		return err
	})
}
