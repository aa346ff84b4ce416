package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

// statuses are the values of a service's status.
var statuses = []string{"operational", "degraded", "down", "maintenance"}

var serviceCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "STATUS", Path: "status"},
	{Header: "DESCRIPTION", Path: "status_description", Width: 50}, {Header: "CHANGED", Path: "status_changed_at"},
}

var historyCols = []printer.Column{
	{Header: "CHANGED", Path: "changed_at"}, {Header: "FROM", Path: "previous_status"}, {Header: "TO", Path: "status"},
	{Header: "SOURCE", Path: "source"}, {Header: "ACTOR", Path: "actor"}, {Header: "DESCRIPTION", Path: "description", Width: 50},
	{Header: "VERSION", Path: "version"},
}

func (a *app) servicesCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List the services and their status", Args: args(),
		Example: `  upstatectl services list
  upstatectl services list -o json | jq -r '.[] | select(.status != "operational") | .name'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, serviceCols, "/services", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	get := &cobra.Command{
		Use: "get SERVICE", Short: "Show a service (by id or name)", Args: args("SERVICE"),
		Example:           `  upstatectl services get API -o yaml`,
		ValidArgsFunction: a.completeServices,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := serviceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, serviceCols, http.MethodGet, "/services/"+id, nil)
		},
	}

	var description, status string
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a service", Args: args("NAME"),
		Example: `  upstatectl services create API --description "Public REST API"
  upstatectl services create Checkout --status degraded`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{"name": args[0]}
			if description != "" {
				body["description"] = description
			}
			if status != "" {
				body["status"] = status
			}
			return a.one(cmd.Context(), c, serviceCols, http.MethodPost, "/services", body)
		},
	}
	create.Flags().StringVar(&description, "description", "", "what the service is")
	create.Flags().StringVar(&status, "status", "", "the initial status (default operational)")
	_ = create.RegisterFlagCompletionFunc("status", fixed(statuses...))

	del := &cobra.Command{
		Use: "delete SERVICE", Short: "Delete a service (by id or name)", Args: args("SERVICE"),
		Example:           `  upstatectl services delete svc_01jdq3m8z6k4t7v9x2b5c8e0fg`,
		ValidArgsFunction: a.completeServices,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := serviceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/services/"+id, nil, nil); err != nil {
				return err
			}
			cmd.Printf("service %s deleted\n", id)
			return nil
		},
	}
	return group("services", "Manage services", "Create, list, show and delete services. SERVICE is an id (svc_…) or a name.", list, get, create, del)
}

func (a *app) statusCmd() *cobra.Command {
	var message string
	set := &cobra.Command{
		Use:   "set SERVICE STATUS",
		Short: "Report a service's status (by id or name)",
		Long: `Report a service's status: operational, degraded, down or maintenance.
Reporting the status it already has changes nothing (a new message is kept).`,
		Args: args("SERVICE", "STATUS"),
		Example: `  # from a deploy pipeline
  upstatectl status set API down -m "Database connection issues"
  upstatectl status set svc_01jdq3m8z6k4t7v9x2b5c8e0fg operational`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return a.completeServices(cmd, args, s)
			}
			if len(args) == 1 {
				return statuses, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := serviceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			body := map[string]any{"status": args[1], "description": message}
			return a.one(cmd.Context(), c, serviceCols, http.MethodPut, "/services/"+id, body)
		},
	}
	set.Flags().StringVarP(&message, "message", "m", "", "why: becomes the service's status description")
	return group("status", "Report services' status", "", set)
}

func (a *app) historyCmd() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use: "history SERVICE", Short: "List a service's status changes, newest first", Args: args("SERVICE"),
		Example: `  upstatectl history API
  upstatectl history API --limit 5 -o json`,
		ValidArgsFunction: a.completeServices,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := serviceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, historyCols, "/services/"+id+"/history", nil, limit)
		},
	}
	c.Flags().IntVar(&limit, "limit", 50, "at most this many, the newest (0: all)")
	return c
}

// completeServices completes a service argument with the names of the
// organisation's services.
func (a *app) completeServices(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
	return firstArg(a.completer(serviceKind))(cmd, args, s)
}
