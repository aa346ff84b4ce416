package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestStartNATS(t *testing.T) {
	t.Parallel()
	srv := StartNATS(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(); err != nil {
		t.Fatalf("jetstream not enabled: %v", err)
	}
}

func TestEventuallyReturnsOnceTrue(t *testing.T) {
	t.Parallel()
	calls := 0
	Eventually(t, 5*time.Second, func() error {
		calls++
		if calls < 3 {
			return fmt.Errorf("call %d", calls)
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("f called %d times, want 3", calls)
	}
}

// fatalTB records Fatalf instead of ending the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestEventuallyFailsWithLastError(t *testing.T) {
	t.Parallel()
	tb := &fatalTB{TB: t}
	calls := 0
	start := time.Now()
	Eventually(tb, 100*time.Millisecond, func() error {
		calls++
		return errors.New("still " + fmt.Sprint(calls))
	})
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %s, want about 100ms", d)
	}
	if calls < 2 {
		t.Errorf("f called %d times, want it polled", calls)
	}
	if want := fmt.Sprintf("still %d", calls); !strings.Contains(tb.msg, want) {
		t.Errorf("failure %q does not carry the last error %q", tb.msg, want)
	}
}
