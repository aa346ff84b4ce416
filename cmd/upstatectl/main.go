// Command upstatectl manages an upstate server from the command line: its
// REST API's resources, and its event streams over NATS. See docs/cli.md.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/mattn/go-isatty"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:   os.Getenv,
		Terminal: isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()),
		Clock:    clockwork.NewRealClock(),
		HTTP:     &http.Client{Timeout: 60 * time.Second},
		Version:  version,
	})
	stop()
	os.Exit(code)
}
