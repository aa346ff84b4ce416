package integration

import (
	"errors"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// Every metric a running upstate exports is in the catalogue of
// docs/operations.md, with its name as the catalogue writes it; the Go
// runtime's and the process's are listed as go_* and process_*. A vector
// shows in /metrics once one of its series exists, so the stack first
// takes a webhook through every service.
func TestMetricsAreCatalogued(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	s := startStack(t)
	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.autoReceiver("monitor", svc, "major")
	s.report(path, "down")
	s.awaitConsumersIdle(bus.StreamIngest, bus.StreamStatus, bus.StreamIncidents)

	typeLine := regexp.MustCompile(`(?m)^# TYPE (\S+) `)
	var names []string
	testenv.Eventually(t, 10*time.Second, func() error {
		r := s.do(http.MethodGet, "/metrics", "", nil)
		names = nil
		for _, m := range typeLine.FindAllStringSubmatch(string(r.Body), -1) {
			names = append(names, m[1])
		}
		// The consumers' lag is read at the scrape: present once the
		// consumers exist.
		if !strings.Contains(string(r.Body), "upstate_consumer_pending_messages{") {
			return errors.New("no consumer lag in /metrics yet")
		}
		return nil
	})
	if len(names) < 20 {
		t.Fatalf("only %d metrics exported: %v", len(names), names)
	}
	for _, name := range names {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("metric %s is exported but not in the catalogue of docs/operations.md", name)
		}
	}
}
