package lifecycle

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A collector registered by workers is on the registry while they run,
// and off it once they stopped, so a service started again in the same
// process registers its new one.
func TestWorkersCollect(t *testing.T) {
	reg := prometheus.NewRegistry()
	gauge := func() prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "test_gauge", Help: "A gauge."})
	}
	registered := func() bool {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		return len(families) == 1
	}
	for run := range 2 {
		w := NewWorkers(context.Background())
		w.Collect(reg, gauge())
		w.Collect(reg, gauge()) // a second instance's: dropped
		w.Collect(nil, gauge())
		if !registered() {
			t.Fatalf("run %d: collector not registered", run)
		}
		if err := w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if registered() {
			t.Fatalf("run %d: collector still registered after Stop", run)
		}
	}
}
