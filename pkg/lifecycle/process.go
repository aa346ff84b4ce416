package lifecycle

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/upstatehq/upstate/pkg/logging"
)

// Main runs run under a context cancelled by SIGINT or SIGTERM; when run
// fails it logs the error and exits with status 1. It is all a binary's
// main function does.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := SignalContext(context.Background())
	err := run(ctx)
	stop()
	if err != nil {
		slog.Error(name+" failed", "err", err)
		os.Exit(1)
	}
}

// Process is what every upstate binary sets up before its components: a
// logger, a metrics registry with the Go runtime and process collectors,
// and the stack its components push their stop functions on.
type Process struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	*Stack
}

// NewProcess sets up a process and logs its configuration (secrets in it
// must be config.Secret so that they are masked).
func NewProcess(name string, log logging.Options, cfg any) *Process {
	logger := logging.New(os.Stderr, log)
	logger.Info("starting "+name, "config", cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Process{Logger: logger, Registry: reg, Stack: NewStack(logger)}
}

// Shutdown unwinds the stack within timeout. The deadline starts now and
// ignores ctx's cancellation, which is usually what triggered the shutdown.
func (p *Process) Shutdown(ctx context.Context, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	_ = p.Unwind(ctx)
}
