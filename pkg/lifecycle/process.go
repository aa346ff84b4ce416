package lifecycle

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/logging"
)

// Options say how a process logs and how long its shutdown may take.
type Options struct {
	Log             logging.Options
	ShutdownTimeout time.Duration
	// Config is logged at start (secrets in it must be config.Secret).
	Config any
}

// Main is all a binary's main function does: it exits with Run's status.
func Main(name string, load func() (Options, error), run func(context.Context, *Process) error) {
	os.Exit(Run(name, load, run))
}

// Run loads the configuration, which says how to log, then runs run under
// a context cancelled by SIGINT or SIGTERM, then unwinds the process's
// stack within the shutdown timeout. Every failure is logged with the
// configured logger (a configuration that does not load, with the
// default JSON one) and makes the status 1: a start that fails, a run that
// fails, and a shutdown that does not finish cleanly.
func Run(name string, load func() (Options, error), run func(context.Context, *Process) error) int {
	opts, err := load()
	if err != nil {
		logging.New(os.Stderr, opts.Log).Error(name+" configuration refused", "err", err)
		return 2
	}
	ctx, stop := SignalContext(context.Background())
	defer stop()
	p := NewProcess(name, opts.Log, opts.Config)
	status := 0
	if err := run(ctx, p); err != nil {
		p.Logger.Error(name+" failed", "err", err)
		status = 1
	}
	if err := p.Shutdown(ctx, opts.ShutdownTimeout); err != nil {
		p.Logger.Error(name+" did not shut down cleanly", "err", err)
		status = 1
	}
	return status
}

// Process is what every upstate binary sets up before its components: a
// logger, a metrics registry with the Go runtime and process collectors,
// and the stack its components push their stop functions on.
type Process struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	*Stack
}

// NewProcess sets up a process and logs its configuration's settings
// (secrets in it must be config.Secret so that they are masked).
func NewProcess(name string, log logging.Options, cfg any) *Process {
	logger := logging.New(os.Stderr, log)
	logger.Info("starting "+name, "config", config.LogValue(cfg))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Process{Logger: logger, Registry: reg, Stack: NewStack(logger)}
}

// Shutdown unwinds the stack within timeout and returns what failed. The
// deadline starts now and ignores ctx's cancellation, which is usually
// what triggered the shutdown.
func (p *Process) Shutdown(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 25 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	return p.Unwind(ctx)
}
