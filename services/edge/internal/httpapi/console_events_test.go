package httpapi

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/edge/internal/live"
)

// /console/events streams the signed-in organisation's events that the
// key may read: a key with services:read hears status changes, not
// incidents, nor another organisation's.
func TestConsoleEventsFollowScopesAndOrganisation(t *testing.T) {
	nc, err := nats.Connect(testenv.StartNATS(t).ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	f := newConsoleWith(t, live.NewHub(nc, logging.Discard()), "services:read")
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/console/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: consoleCookie, Value: f.cookie})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if l := <-lines; !strings.HasPrefix(l, "retry:") {
		t.Fatalf("first line %q", l)
	}
	// The stream is subscribed once the first line is out; publish the
	// events a key with services:read must not hear first.
	for _, subject := range []string{
		bus.IncidentsSubject("org_test", "inc_1"), bus.StatusSubject("org_other", "svc_9"), bus.StatusSubject("org_test", "svc_1"),
	} {
		if err := nc.Publish(subject, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended after %q", got)
			}
			if l != "" {
				got = append(got, l)
			}
		case <-deadline:
			t.Fatalf("after 10 s the stream holds %q", got)
		}
	}
	if want := []string{"event: status", `data: {"id":"svc_1"}`}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the stream holds %q, want %q", got, want)
	}
}
