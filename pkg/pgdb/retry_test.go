package pgdb

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRetry(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01"}
	calls := 0
	err := Retry(context.Background(), func() error {
		if calls++; calls < 3 {
			return deadlock
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("after two deadlocks: %v, %d calls", err, calls)
	}
	calls = 0
	other := errors.New("unique violation")
	if err := Retry(context.Background(), func() error { calls++; return other }); err != other || calls != 1 {
		t.Fatalf("other error: %v, %d calls", err, calls)
	}
	calls = 0
	if err := Retry(context.Background(), func() error { calls++; return deadlock }); !IsCode(err, "40P01") || calls != 3 {
		t.Fatalf("persistent deadlock: %v, %d calls", err, calls)
	}
}
