package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var alertCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "RULE", Path: "rule_name"}, {Header: "SERVICE", Path: "service_name"},
	{Header: "STATE", Path: "state"}, {Header: "SEVERITY", Path: "severity"}, {Header: "SINCE", Path: "active_since"},
	{Header: "ACKED BY", Path: "acknowledged_by"}, {Header: "SILENCED BY", Path: "silenced_by"},
}

func (a *app) alertsCmd() *cobra.Command {
	var state, service, rule string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List alerts", Args: args(),
		Example: `  upstatectl alerts list --state firing`,
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
			return a.list(cmd.Context(), c, alertCols, "/alerts", query("state", state, "service_id", service, "rule_id", rule), limit)
		},
	}
	list.Flags().StringVar(&state, "state", "", "pending, firing or resolved (default: all)")
	list.Flags().StringVar(&service, "service", "", "only this service's (id or name)")
	list.Flags().StringVar(&rule, "rule", "", "only this rule's (rul_…)")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	_ = list.RegisterFlagCompletionFunc("state", fixed("pending", "firing", "resolved"))
	_ = list.RegisterFlagCompletionFunc("service", a.completeServices)

	get := &cobra.Command{
		Use: "get ALERT", Short: "Show an alert with its history", Args: args("ALERT"),
		Example: `  upstatectl alerts get alt_01jdq… -o yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, alertCols, http.MethodGet, "/alerts/"+args[0], nil)
		},
	}

	var note string
	ack := &cobra.Command{
		Use: "ack ALERT", Short: "Acknowledge an alert: its notifications stop", Args: args("ALERT"),
		Example: `  upstatectl alerts ack alt_01jdq… --note "rolling back"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var body any
			if note != "" {
				body = map[string]any{"note": note}
			}
			return a.one(cmd.Context(), c, alertCols, http.MethodPost, "/alerts/"+args[0]+"/ack", body)
		},
	}
	ack.Flags().StringVar(&note, "note", "", "what is being done")

	unack := &cobra.Command{
		Use: "unack ALERT", Short: "Take an acknowledgement back", Args: args("ALERT"),
		Example: `  upstatectl alerts unack alt_01jdq…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, alertCols, http.MethodPost, "/alerts/"+args[0]+"/unack", nil)
		},
	}
	return group("alerts", "List and acknowledge alerts", "Alerts are raised by alert rules; acknowledging one stops its notifications.", list, get, ack, unack)
}
