package integration

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// A status service that commits changes but dies before publishing them
// loses nothing: the next one publishes them, once each, in order.
func TestOutboxSurvivesRestart(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService(bootstrapKey, "API")
	w := s.watchStatus()
	// The creation is on STATUS; its outbox row goes in the relay's
	// transaction a moment later. A restart that cancels that transaction
	// leaves the row to the next process, which here is cut off from NATS.
	testenv.Eventually(t, 5*time.Second, func() error {
		if n := s.count(`SELECT count(*) FROM status.outbox`); n != 0 {
			return fmt.Errorf("the creation's outbox row is still there (%d rows)", n)
		}
		return nil
	})

	// Cut the status service off NATS: its commits pile up in the outbox.
	s.restartStatus()
	s.svc.Status.NATS().Close()
	for _, st := range []string{"down", "operational", "degraded"} {
		if r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, map[string]string{"status": st}); r.Status != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", st, r.Status, r.Body)
		}
	}
	if n := s.count(`SELECT count(*) FROM status.outbox`); n != 3 {
		t.Fatalf("outbox rows = %d, want 3", n)
	}
	w.none(200 * time.Millisecond)

	// A new process (fresh connection) relays them.
	s.restartStatus()
	for v := int64(2); v <= 4; v++ { // 1 was the service's creation
		ev, _ := w.next()
		if ev.GetVersion() != v {
			t.Fatalf("event version %d, want %d", ev.GetVersion(), v)
		}
	}
	w.none(300 * time.Millisecond)
	testenv.Eventually(t, 5*time.Second, func() error {
		if n := s.count(`SELECT count(*) FROM status.outbox`); n != 0 {
			return fmt.Errorf("outbox still holds %d rows", n)
		}
		return nil
	})
}
