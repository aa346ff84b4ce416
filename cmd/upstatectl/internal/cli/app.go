// Package cli is upstatectl's command tree: the REST API's resources as
// commands, the event streams, and the configuration's contexts. Run
// executes one command line and returns its exit code, so that tests run
// the tool in-process as a shell would.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/ctlconfig"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

// Exit codes scripts can rely on.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitUsage    = 2
	ExitNotFound = 3
)

// Defaults that work with `make run`.
const (
	defaultURL     = "http://127.0.0.1:8080"
	defaultNATSURL = "nats://127.0.0.1:4222"
)

// Env is what a run of the tool reads and writes besides its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (UPSTATE_URL, UPSTATE_API_KEY, …).
	Getenv func(string) string
	// Terminal says whether Stdout is a terminal (tables by default).
	Terminal bool
	Clock    clockwork.Clock
	HTTP     *http.Client
	// Version is shown by --version and sent as the User-Agent.
	Version string
}

// usageError is a command line that cannot be run as given (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// notFoundError is something named on the command line that does not
// exist (exit 3), found so by the tool rather than by a 404.
type notFoundError struct{ err error }

func (e notFoundError) Error() string { return e.err.Error() }
func (e notFoundError) Unwrap() error { return e.err }

// app is one run: its environment and its global flags.
type app struct {
	env Env
	// Global flags.
	url, apiKey, contextName, configPath, output string
	// started is set when a command's RunE starts: any error before it
	// (flags, arguments, required flags) is a usage error.
	started bool
}

// Run runs upstatectl with args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	a := &app{env: env}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "Error: %v\n", err)
	var ue usageError
	var nf notFoundError
	switch {
	case !a.started || errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return ExitUsage
	case errors.As(err, &nf) || rest.IsNotFound(err):
		return ExitNotFound
	}
	return ExitError
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "upstatectl",
		Short: "Manage upstate from the command line",
		Long: `upstatectl manages an upstate server over its REST API and reads its
event streams over NATS.

It finds the server and the API key in flags (--url, --api-key), then in
the environment (UPSTATE_URL, UPSTATE_API_KEY), then in the current context
of its configuration file (see 'upstatectl config'). The server defaults to
` + defaultURL + `.

Output is a table on a terminal and JSON otherwise; -o chooses.
Exit codes: 0 success, 1 error, 2 bad usage, 3 not found.`,
		Example: `  export UPSTATE_URL=http://127.0.0.1:8080 UPSTATE_API_KEY=ak_live_…
  upstatectl services list
  upstatectl status set API down -m "Database connection issues"
  upstatectl events tail --since 1h`,
		Version:           a.env.Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.checkGlobals() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := root.PersistentFlags()
	f.StringVar(&a.url, "url", "", "the server's URL (env UPSTATE_URL; default "+defaultURL+")")
	f.StringVar(&a.apiKey, "api-key", "", "the API key (env UPSTATE_API_KEY; prefer the environment or a context: flags show in process lists)")
	f.StringVar(&a.contextName, "context", "", "the context of the configuration file to use (default: its current context)")
	f.StringVar(&a.configPath, "config", "", "the configuration file (env UPSTATECTL_CONFIG; default upstate/upstatectl.yaml in the user's configuration directory)")
	f.StringVarP(&a.output, "output", "o", "", "output format: table, json or yaml (default: table on a terminal, else json)")
	_ = root.RegisterFlagCompletionFunc("output", fixed(printer.Formats...))
	_ = root.RegisterFlagCompletionFunc("context", a.completeContexts)

	root.AddCommand(
		a.servicesCmd(), a.statusCmd(), a.historyCmd(), a.receiversCmd(), a.incidentsCmd(),
		a.maintenanceCmd(), a.keysCmd(), a.slaCmd(), a.alertsCmd(), a.statusPagesCmd(),
		a.usersCmd(), a.teamsCmd(), a.schedulesCmd(), a.overridesCmd(), a.policiesCmd(), a.channelsCmd(), a.notificationsCmd(),
		a.eventsCmd(), a.configCmd(),
	)
	a.markStarts(root)
	return root
}

// markStarts makes every command's RunE record that cobra accepted the
// command line.
func (a *app) markStarts(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			a.started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		a.markStarts(sub)
	}
}

// checkGlobals validates the global flags, once cobra has accepted the
// command line.
func (a *app) checkGlobals() error {
	switch a.output {
	case "", string(printer.Table), string(printer.JSON), string(printer.YAML):
		return nil
	}
	return usagef("invalid output format %q (valid: %s)", a.output, strings.Join(printer.Formats, ", "))
}

// printer writes in the chosen format.
func (a *app) printer() printer.Printer {
	f := printer.Format(a.output)
	if f == "" {
		f = printer.JSON
		if a.env.Terminal {
			f = printer.Table
		}
	}
	return printer.Printer{W: a.env.Stdout, Format: f}
}

// configFile is where the configuration file is.
func (a *app) configFile() (string, error) {
	if a.configPath != "" {
		return a.configPath, nil
	}
	return ctlconfig.DefaultPath(a.env.Getenv("UPSTATECTL_CONFIG"))
}

// loadConfig reads the configuration file, warning when others may read
// the keys it holds.
func (a *app) loadConfig() (*ctlconfig.File, string, error) {
	path, err := a.configFile()
	if err != nil {
		return nil, "", err
	}
	f, exposed, err := ctlconfig.Load(path)
	if err != nil {
		return nil, "", err
	}
	if exposed {
		fmt.Fprintf(a.env.Stderr, "Warning: %s is readable by other users; it holds API keys (chmod 600 it)\n", path)
	}
	return f, path, nil
}

// context returns the context in use: --context, else the file's current
// one, else an empty one.
func (a *app) context() (ctlconfig.Context, error) {
	f, _, err := a.loadConfig()
	if err != nil {
		return ctlconfig.Context{}, err
	}
	name := a.contextName
	if name == "" {
		name = f.CurrentContext
	}
	if name == "" {
		return ctlconfig.Context{}, nil
	}
	c, err := f.Context(name)
	if err != nil {
		return ctlconfig.Context{}, usageError{err}
	}
	return c, nil
}

// first returns the first non-empty value.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// client is the REST client of the server and key in use.
func (a *app) client() (*rest.Client, error) {
	c, err := a.context()
	if err != nil {
		return nil, err
	}
	key := first(a.apiKey, a.env.Getenv("UPSTATE_API_KEY"), c.APIKey)
	if key == "" {
		return nil, usagef("no API key: give --api-key, set UPSTATE_API_KEY, or add it to a context (upstatectl config set-context NAME --api-key …)")
	}
	return &rest.Client{
		BaseURL: first(a.url, a.env.Getenv("UPSTATE_URL"), c.URL, defaultURL),
		APIKey:  key, HTTP: a.env.HTTP, Clock: a.env.Clock, Retries: rest.DefaultRetries,
		UserAgent: "upstatectl/" + a.env.Version,
		OnRetry: func(err *rest.Error, wait time.Duration) {
			fmt.Fprintf(a.env.Stderr, "%s; retrying in %s\n", err, wait)
		},
	}, nil
}

// fixed completes a flag or argument from a fixed list.
func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// group is a command holding subcommands; run with an unknown one it is a
// usage error, alone it shows its help.
func group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(subs...)
	// Its examples: the first command line of each subcommand's.
	var ex []string
	for _, sub := range subs {
		for line := range strings.Lines(sub.Example) {
			if strings.HasPrefix(strings.TrimSpace(line), "upstatectl ") {
				ex = append(ex, strings.TrimRight(line, "\n"))
				break
			}
		}
	}
	c.Example = strings.Join(ex, "\n")
	return c
}

// args checks the number of positional arguments, naming them in the
// error.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s) (%s), got %d", cmd.CommandPath(), len(names), strings.Join(names, ", "), len(args))
		}
		return nil
	}
}
