package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var pageCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "SLUG", Path: "slug"},
	{Header: "URL", Path: "url"}, {Header: "DOMAIN", Path: "custom_domain"}, {Header: "TIME ZONE", Path: "time_zone"},
}

func (a *app) statusPagesCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List status pages", Args: args(),
		Example: `  upstatectl status-pages list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, pageCols, "/status-pages", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	get := &cobra.Command{
		Use: "get PAGE", Short: "Show a status page with its components", Args: args("PAGE"),
		Example: `  upstatectl status-pages get pag_01jdq… -o yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, pageCols, http.MethodGet, "/status-pages/"+args[0], nil)
		},
	}

	var slug, tz string
	var services []string
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a status page showing some services",
		Long:    "Create a public status page with one component per --service, in the order given, named as the services are.",
		Args:    args("NAME"),
		Example: `  upstatectl status-pages create Pushmail --slug pushmail --service API --service "Email Delivery" --time-zone Europe/Berlin`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ids, err := serviceIDs(cmd.Context(), c, services)
			if err != nil {
				return err
			}
			components := make([]map[string]any, len(ids))
			for i, id := range ids {
				components[i] = map[string]any{"service_id": id, "position": i + 1}
			}
			body := map[string]any{"name": args[0], "slug": slug, "components": components}
			if tz != "" {
				body["time_zone"] = tz
			}
			return a.one(cmd.Context(), c, pageCols, http.MethodPost, "/status-pages", body)
		},
	}
	create.Flags().StringVar(&slug, "slug", "", "the page's address: /status/SLUG (required)")
	create.Flags().StringSliceVar(&services, "service", nil, "a service to show, id or name (repeatable)")
	create.Flags().StringVar(&tz, "time-zone", "", "the IANA time zone of the page's days (default UTC)")
	_ = create.MarkFlagRequired("slug")
	_ = create.RegisterFlagCompletionFunc("service", a.completeServices)

	del := &cobra.Command{
		Use: "delete PAGE", Short: "Delete a status page", Args: args("PAGE"),
		Example: `  upstatectl status-pages delete pag_01jdq…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/status-pages/"+args[0], nil, nil); err != nil {
				return err
			}
			cmd.Printf("status page %s deleted\n", args[0])
			return nil
		},
	}
	return group("status-pages", "Manage public status pages", "", list, get, create, del)
}
