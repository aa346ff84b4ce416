package testenv

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fatalRecorder is a testing.TB whose Fatal records the message and ends the
// calling goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestRequireMain(t *testing.T) {
	for _, used := range []bool{false, true} {
		rec := &fatalRecorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			requireMain(rec, used)
		}()
		<-done
		switch {
		case used && rec.msg != "":
			t.Errorf("with Main: failed with %q", rec.msg)
		case !used && !strings.Contains(rec.msg, "func TestMain(m *testing.M) { testenv.Main(m) }"):
			t.Errorf("without Main: message %q does not say what to add", rec.msg)
		}
	}
}
