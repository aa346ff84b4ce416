package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/status/app"
)

// The service's /metrics reports its ingest consumer's lag while it runs.
func TestAppReportsIngestLag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host := servicetest.NewHost(t, service.Env{DatabaseURL: testenv.NewDatabase(t), NATSURL: testenv.StartNATS(t).ClientURL()}, nil)
	a, err := host.Start(ctx, app.Unit(app.Config{}, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	metrics := func() string {
		rec := httptest.NewRecorder()
		host.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	labels := `{consumer="status-ingest",stream="INGEST"}`
	for _, want := range []string{
		"upstate_consumer_pending_messages" + labels + " 0",
		"upstate_consumer_ack_pending_messages" + labels + " 0",
		"upstate_consumer_redelivered_messages" + labels + " 0",
		"upstate_consumer_oldest_unacked_age_seconds" + labels + " 0",
		"upstate_consumer_lag_errors_total" + labels + " 0",
	} {
		if body := metrics(); !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(metrics(), "upstate_consumer_") {
		t.Error("/metrics still reports the consumer's lag after Stop")
	}
}
