package integration

import (
	"context"
	"testing"
)

// streamCount is the number of messages on stream.
func streamCount(t *testing.T, s *stack, stream string) int {
	t.Helper()
	st, err := s.js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}
