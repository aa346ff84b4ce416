package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/ctlconfig"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var contextCols = []printer.Column{
	{Header: "CURRENT", Path: "current"}, {Header: "NAME", Path: "name"}, {Header: "URL", Path: "url"},
	{Header: "API KEY", Path: "api_key"}, {Header: "NATS URL", Path: "nats_url"}, {Header: "NATS CREDS", Path: "nats_creds"},
}

func (a *app) configCmd() *cobra.Command {
	return group("config", "Manage the configuration file's contexts",
		`The configuration file holds named contexts, each a server URL, an API key
and a NATS server, and the current context, which commands use unless
--context names another. Flags and environment variables override it.

The file is upstate/upstatectl.yaml in the user's configuration directory
(~/.config on Linux), or UPSTATECTL_CONFIG, or --config. It holds API keys:
upstatectl writes it readable by its owner only (0600).`,
		a.setContextCmd(), a.useContextCmd(), a.getContextsCmd(), a.currentContextCmd())
}

func (a *app) setContextCmd() *cobra.Command {
	var c ctlconfig.Context
	var keyStdin bool
	cmd := &cobra.Command{
		Use:   "set-context NAME",
		Short: "Add a context, or change the settings given of an existing one",
		Long: `Add a context, or change the settings given of an existing one. The first
context added becomes the current one.`,
		Args: args("NAME"),
		Example: `  upstatectl config set-context local --url http://127.0.0.1:8080 --api-key ak_live_…
  echo "$PROD_KEY" | upstatectl config set-context prod --url https://upstate.example.com --api-key-stdin
  upstatectl config set-context local --nats-url nats://events:secret@127.0.0.1:4222`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyStdin {
				if c.APIKey != "" {
					return usagef("give --api-key or --api-key-stdin, not both")
				}
				line, err := bufio.NewReader(a.env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read the API key from standard input: %w", err)
				}
				c.APIKey = strings.TrimSpace(line)
			}
			f, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			c.Name = args[0]
			f.Set(c)
			if err := f.Save(path); err != nil {
				return err
			}
			cmd.Printf("context %q set in %s\n", c.Name, path)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&c.URL, "url", "", "the server's URL")
	fl.StringVar(&c.APIKey, "api-key", "", "the API key")
	fl.BoolVar(&keyStdin, "api-key-stdin", false, "read the API key from standard input")
	fl.StringVar(&c.NATSURL, "nats-url", "", "the NATS server for events tail")
	fl.StringVar(&c.NATSCreds, "nats-creds", "", "a NATS credentials file for events tail")
	return cmd
}

func (a *app) useContextCmd() *cobra.Command {
	return &cobra.Command{
		Use: "use-context NAME", Short: "Make a context the current one", Args: args("NAME"),
		Example:           `  upstatectl config use-context prod`,
		ValidArgsFunction: a.completeContexts,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			if err := f.Use(args[0]); err != nil {
				if errors.Is(err, ctlconfig.ErrNoContext) {
					return notFoundError{err}
				}
				return err
			}
			if err := f.Save(path); err != nil {
				return err
			}
			cmd.Printf("switched to context %q\n", args[0])
			return nil
		},
	}
}

func (a *app) getContextsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "get-contexts", Short: "List the contexts (API keys shortened)", Args: args(),
		Example: `  upstatectl config get-contexts`,
		RunE: func(*cobra.Command, []string) error {
			f, _, err := a.loadConfig()
			if err != nil {
				return err
			}
			items := make([]json.RawMessage, 0, len(f.Contexts))
			for _, c := range f.Contexts {
				current := ""
				if c.Name == f.CurrentContext {
					current = "*"
				}
				raw, err := json.Marshal(map[string]any{
					"current": current, "name": c.Name, "url": c.URL, "api_key": maskKey(c.APIKey),
					"nats_url": maskURL(c.NATSURL), "nats_creds": c.NATSCreds,
				})
				if err != nil {
					return err
				}
				items = append(items, raw)
			}
			return a.printer().List(contextCols, items)
		},
	}
}

func (a *app) currentContextCmd() *cobra.Command {
	return &cobra.Command{
		Use: "current-context", Short: "Print the current context's name", Args: args(),
		Example: `  upstatectl config current-context`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, _, err := a.loadConfig()
			if err != nil {
				return err
			}
			if f.CurrentContext == "" {
				return notFoundError{errors.New("no current context")}
			}
			cmd.Println(f.CurrentContext)
			return nil
		},
	}
}

// maskKey keeps the part of a key the API shows too (its prefix).
func maskKey(key string) string {
	if len(key) <= 12 {
		return strings.Repeat("*", len(key))
	}
	return key[:12] + "…"
}

// maskURL hides a password in a URL.
func maskURL(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return s[:scheme+3] + user + ":***" + s[at:]
	}
	return s
}

// completeContexts completes a context name.
func (a *app) completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	f, _, err := a.loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	names := make([]string, len(f.Contexts))
	for i, c := range f.Contexts {
		names[i] = c.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
