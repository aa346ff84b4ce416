package live

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return Event{}
	}
}

// A page hears its own organisation's status and incident events, not
// another's, and the hub unsubscribes once the last page has gone.
func TestListen(t *testing.T) {
	t.Parallel()
	nc, err := nats.Connect(testenv.StartNATS(t).ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	hub := NewHub(nc, logging.Discard())
	a, stopA, err := hub.Listen("org_a")
	if err != nil {
		t.Fatal(err)
	}
	a2, stopA2, err := hub.Listen("org_a")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hub.Listen("org_a.>"); err == nil {
		t.Error("a wildcard organisation id accepted")
	}

	for _, subject := range []string{bus.StatusSubject("org_b", "svc_b"), bus.StatusSubject("org_a", "svc_1"), bus.IncidentsSubject("org_a", "inc_1")} {
		if err := nc.Publish(subject, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Each subject has its own subscription, so the two kinds may come in
	// either order.
	for _, ch := range []<-chan Event{a, a2} {
		got := map[Event]bool{next(t, ch): true, next(t, ch): true}
		if !got[Event{KindStatus, "svc_1"}] || !got[Event{KindIncidents, "inc_1"}] {
			t.Errorf("a page heard %v", got)
		}
		select {
		case e := <-ch:
			t.Errorf("a page heard another organisation's event %+v", e)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stopA()
	stopA2()
	if n := len(hub.orgs); n != 0 {
		t.Errorf("%d organisations still subscribed after their pages left", n)
	}
	if n := nc.NumSubscriptions(); n != 0 {
		t.Errorf("%d subscriptions left", n)
	}
}
