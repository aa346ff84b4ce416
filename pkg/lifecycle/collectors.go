package lifecycle

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Collect registers c on reg until the workers stop, for a collector
// that reads what the workers use (a consumer's lag from its
// connection). A nil reg registers nothing. When reg has a collector of
// the same description already (another instance of the service in the
// process), that one stays and c is dropped: both describe the same
// thing.
func (w *Workers) Collect(reg prometheus.Registerer, c prometheus.Collector) {
	if reg == nil || reg.Register(c) != nil {
		return
	}
	w.Go(func(ctx context.Context) {
		<-ctx.Done()
		reg.Unregister(c)
	})
}
