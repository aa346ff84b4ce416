package pgserver

import (
	"testing"
	"time"
)

func TestRestartBackoff(t *testing.T) {
	t.Parallel()
	r := Restart{}.withDefaults()
	for _, tt := range []struct {
		failure int
		want    time.Duration
	}{
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{3, 2 * time.Second},
		{6, 16 * time.Second},
		{7, 30 * time.Second},
		{100, 30 * time.Second},
	} {
		if got := r.backoff(tt.failure); got != tt.want {
			t.Errorf("backoff after failure %d = %s, want %s", tt.failure, got, tt.want)
		}
	}
}
