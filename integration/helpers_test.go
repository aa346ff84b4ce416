package integration

import (
	"context"
	"testing"

	"github.com/upstatehq/upstate/pkg/bus"
)

// streamCount is the number of messages on the STATUS stream.
func streamCount(t *testing.T, s *stack) uint64 {
	t.Helper()
	st, err := s.js.Stream(context.Background(), bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
