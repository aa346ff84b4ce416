package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSharedRegistryAndCounts(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	a, b := New(reg), New(reg) // two gateways in one process share collectors
	a.Delivery("processed")
	b.Delivery("processed")
	b.Delivery("something_new")
	a.Lookup(LookupHit)
	if got := testutil.ToFloat64(a.deliveries.WithLabelValues("processed")); got != 2 {
		t.Fatalf("processed = %v, want 2", got)
	}
	if got := testutil.ToFloat64(a.deliveries.WithLabelValues("something_new")); got != 1 {
		t.Fatalf("unlisted result = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(a.deliveries); n != len(results)+1 {
		t.Fatalf("%d delivery series, want every result listed up front", n)
	}
	var none *Metrics
	none.Delivery("processed") // a nil *Metrics records nothing, without panicking
}
