package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var (
	severities       = []string{"minor", "major", "critical"}
	incidentStatuses = []string{"investigating", "identified", "monitoring", "resolved"}
)

var incidentCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "TITLE", Path: "title", Width: 40}, {Header: "STATUS", Path: "status"},
	{Header: "SEVERITY", Path: "severity"}, {Header: "SERVICES", Path: "service_ids"}, {Header: "SOURCE", Path: "source"},
	{Header: "CREATED", Path: "created_at"}, {Header: "RESOLVED", Path: "resolved_at"},
}

func (a *app) incidentsCmd() *cobra.Command {
	return group("incidents", "Open, update and resolve incidents",
		"Incidents say that something is wrong, how badly (minor, major, critical), which services it affects, and keep a timeline of updates.",
		a.incidentsListCmd(), a.incidentsOpenCmd(), a.incidentsUpdateCmd(), a.incidentsResolveCmd())
}

func (a *app) incidentsListCmd() *cobra.Command {
	var status, service string
	var limit int
	c := &cobra.Command{
		Use: "list", Short: "List incidents, newest first", Args: args(),
		Example: `  upstatectl incidents list --status open
  upstatectl incidents list --service API -o yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if service != "" {
				if service, err = serviceID(cmd.Context(), c, service); err != nil {
					return err
				}
			}
			return a.list(cmd.Context(), c, incidentCols, "/incidents", query("status", status, "service", service), limit)
		},
	}
	c.Flags().StringVar(&status, "status", "", "open or resolved (default: both)")
	c.Flags().StringVar(&service, "service", "", "only those affecting this service (id or name)")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	_ = c.RegisterFlagCompletionFunc("status", fixed("open", "resolved"))
	_ = c.RegisterFlagCompletionFunc("service", a.completeServices)
	return c
}

func (a *app) incidentsOpenCmd() *cobra.Command {
	var severity, status, message string
	var services []string
	c := &cobra.Command{
		Use: "open TITLE", Short: "Open an incident", Args: args("TITLE"),
		Example: `  upstatectl incidents open "Checkout errors for EU customers" --severity major \
    --service Checkout -m "We are investigating."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ids, err := serviceIDs(cmd.Context(), c, services)
			if err != nil {
				return err
			}
			body := map[string]any{"title": args[0], "severity": severity, "service_ids": ids}
			if status != "" {
				body["status"] = status
			}
			if message != "" {
				body["message"] = message
			}
			return a.one(cmd.Context(), c, incidentCols, http.MethodPost, "/incidents", body)
		},
	}
	c.Flags().StringVar(&severity, "severity", "major", "minor, major or critical")
	c.Flags().StringSliceVar(&services, "service", nil, "an affected service, id or name (repeatable)")
	c.Flags().StringVar(&status, "status", "", "investigating (default), identified or monitoring")
	c.Flags().StringVarP(&message, "message", "m", "", "the first timeline entry (default: \"Incident opened: TITLE\")")
	_ = c.RegisterFlagCompletionFunc("severity", fixed(severities...))
	_ = c.RegisterFlagCompletionFunc("status", fixed(incidentStatuses[:3]...))
	_ = c.RegisterFlagCompletionFunc("service", a.completeServices)
	return c
}

func (a *app) incidentsUpdateCmd() *cobra.Command {
	var status, message string
	c := &cobra.Command{
		Use: "update INCIDENT", Short: "Add an update to an incident's timeline", Args: args("INCIDENT"),
		Long: "Add an update to an incident's timeline, optionally moving it to another status.",
		Example: `  upstatectl incidents update inc_01jdq… --status identified -m "A bad deploy; rolling back."
  upstatectl incidents update inc_01jdq… -m "Still monitoring."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{"message": message}
			if status != "" {
				body["status"] = status
			}
			return a.one(cmd.Context(), c, incidentCols, http.MethodPost, "/incidents/"+args[0]+"/updates", body)
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "what happened (required)")
	c.Flags().StringVar(&status, "status", "", "the new status: investigating, identified, monitoring or resolved")
	_ = c.MarkFlagRequired("message")
	_ = c.RegisterFlagCompletionFunc("status", fixed(incidentStatuses...))
	return c
}

func (a *app) incidentsResolveCmd() *cobra.Command {
	var message string
	c := &cobra.Command{
		Use: "resolve INCIDENT", Short: "Resolve an incident", Args: args("INCIDENT"),
		Example: `  upstatectl incidents resolve inc_01jdq… -m "Fixed."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{"status": "resolved"}
			if message != "" {
				body["message"] = message
			}
			return a.one(cmd.Context(), c, incidentCols, http.MethodPatch, "/incidents/"+args[0], body)
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "the resolving timeline entry")
	return c
}
