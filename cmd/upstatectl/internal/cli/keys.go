package cli

import (
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

// scopes are the values of an API key's scopes, for completion.
var scopes = []string{
	"read", "write", "services", "services:read", "api_keys", "api_keys:read", "webhook_receivers", "webhook_receivers:read",
	"incidents", "incidents:read", "maintenances", "maintenances:read", "sla", "sla:read", "alerting", "alerting:read",
	"status_pages", "status_pages:read", "oncall", "oncall:read", "audit", "audit:read",
}

var keyCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "PREFIX", Path: "prefix"}, {Header: "SCOPES", Path: "scopes"},
	{Header: "CREATED", Path: "created_at"}, {Header: "LAST USED", Path: "last_used_at"}, {Header: "EXPIRES", Path: "expires_at"},
}

// createdKeyCols show the secret that only creation answers.
var createdKeyCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "SCOPES", Path: "scopes"},
	{Header: "EXPIRES", Path: "expires_at"}, {Header: "KEY", Path: "key"},
}

func (a *app) keysCmd() *cobra.Command {
	var keyScopes []string
	var expires string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API key; its secret is shown once",
		Long: `Create an API key with the scopes given, only scopes the calling key holds.
--expires is an RFC 3339 time or a duration from now.`,
		Args: args("NAME"),
		Example: `  upstatectl keys create "CI deploys" --scope services
  upstatectl keys create Contractor --scope read --expires 720h
  KEY=$(upstatectl keys create CI --scope services -o json | jq -r .key)`,
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0], "scopes": keyScopes}
			if expires != "" {
				t, err := when(expires, a.env.Clock.Now())
				if err != nil {
					return usagef("--expires: %v", err)
				}
				body["expires_at"] = t.UTC().Format(time.RFC3339Nano)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, createdKeyCols, http.MethodPost, "/api-keys", body)
		},
	}
	create.Flags().StringSliceVar(&keyScopes, "scope", nil, "a scope (repeatable or comma-separated; at least one)")
	create.Flags().StringVar(&expires, "expires", "", "when the key stops working (default: never)")
	_ = create.MarkFlagRequired("scope")
	_ = create.RegisterFlagCompletionFunc("scope", fixed(scopes...))

	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List the API keys this key may manage", Args: args(),
		Example: `  upstatectl keys list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, keyCols, "/api-keys", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	revoke := &cobra.Command{
		Use: "revoke KEY_ID", Short: "Revoke an API key", Args: args("KEY_ID"),
		Example: `  upstatectl keys revoke key_01jdq4a2b3c4d5e6f7g8h9jkmn`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/api-keys/"+args[0], nil, nil); err != nil {
				return err
			}
			cmd.Printf("key %s revoked\n", args[0])
			return nil
		},
	}
	return group("keys", "Manage API keys", "API keys authenticate requests; a key manages only keys whose scopes it holds itself.", create, list, revoke)
}
