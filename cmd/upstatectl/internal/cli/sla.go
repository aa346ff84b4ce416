package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var uptimeCols = []printer.Column{
	{Header: "SERVICE", Path: "service_id"}, {Header: "NAME", Path: "service_name"}, {Header: "UPTIME", Path: "uptime"},
	{Header: "DOWN S", Path: "down_seconds"}, {Header: "DEGRADED S", Path: "degraded_seconds"},
	{Header: "OUTAGES", Path: "outages"}, {Header: "FROM", Path: "from"}, {Header: "TO", Path: "to"},
}

var dailyCols = []printer.Column{
	{Header: "DATE", Path: "date"}, {Header: "UPTIME", Path: "uptime"}, {Header: "WORST", Path: "worst_status"},
	{Header: "DOWN S", Path: "down_seconds"}, {Header: "DEGRADED S", Path: "degraded_seconds"}, {Header: "MAINTENANCE S", Path: "maintenance_seconds"},
}

var sloCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "SERVICE", Path: "service_id"},
	{Header: "TARGET", Path: "target"}, {Header: "WINDOW", Path: "window"}, {Header: "STATUS", Path: "status"},
	{Header: "REMAINING", Path: "remaining_fraction"}, {Header: "BURN 1H", Path: "burn_rate_1h"},
}

func (a *app) slaCmd() *cobra.Command {
	return group("sla", "Uptime, daily history and SLOs", "Uptime over rolling windows or ranges, per-day history, and service level objectives.",
		a.uptimeCmd(), a.dailyCmd(), a.slosCmd())
}

func (a *app) uptimeCmd() *cobra.Command {
	var window, from, to string
	var limit int
	c := &cobra.Command{
		Use:   "uptime [SERVICE]",
		Short: "Show a service's uptime, or every service's",
		Long:  "Show uptime over a window ending now (24h, 7d, 30d, 90d) or a range (--from, --to, RFC 3339).",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("%s takes at most one argument (SERVICE)", cmd.CommandPath())
			}
			return nil
		},
		Example: `  upstatectl sla uptime --window 30d
  upstatectl sla uptime API --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z`,
		ValidArgsFunction: a.completeServices,
		RunE: func(cmd *cobra.Command, args []string) error {
			if window == "" && from == "" && to == "" {
				window = "30d"
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			q := query("window", window, "from", from, "to", to)
			if len(args) == 0 {
				return a.list(cmd.Context(), c, uptimeCols, "/uptime", q, limit)
			}
			id, err := serviceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			raw, err := c.Do(cmd.Context(), http.MethodGet, "/services/"+id+"/uptime", q, nil)
			if err != nil {
				return err
			}
			return a.printer().One(uptimeCols, raw)
		},
	}
	c.Flags().StringVar(&window, "window", "", "24h, 7d, 30d or 90d (default 30d unless --from and --to)")
	c.Flags().StringVar(&from, "from", "", "start of the range, RFC 3339")
	c.Flags().StringVar(&to, "to", "", "end of the range, RFC 3339")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many services (default: all)")
	_ = c.RegisterFlagCompletionFunc("window", fixed("24h", "7d", "30d", "90d"))
	return c
}

func (a *app) dailyCmd() *cobra.Command {
	var days int
	var tz string
	c := &cobra.Command{
		Use: "daily SERVICE", Short: "Show a service's uptime per calendar day, oldest first", Args: args("SERVICE"),
		Example:           `  upstatectl sla daily API --days 7 --tz Europe/Berlin`,
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
			q := query("tz", tz)
			if days > 0 {
				q.Set("days", strconv.Itoa(days))
			}
			raw, err := c.Do(cmd.Context(), http.MethodGet, "/services/"+id+"/uptime/daily", q, nil)
			if err != nil {
				return err
			}
			var page struct {
				Data []json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				return fmt.Errorf("decode daily uptime: %w", err)
			}
			return a.printer().List(dailyCols, page.Data)
		},
	}
	c.Flags().IntVar(&days, "days", 0, "how many days, 1–365 (default 90)")
	c.Flags().StringVar(&tz, "tz", "", "the IANA time zone of the days (default UTC)")
	return c
}

func (a *app) slosCmd() *cobra.Command {
	var service string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List SLOs with their error budget", Args: args(),
		Example: `  upstatectl sla slos list --service API`,
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
			return a.list(cmd.Context(), c, sloCols, "/slos", query("service", service), limit)
		},
	}
	list.Flags().StringVar(&service, "service", "", "only this service's (id or name)")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	_ = list.RegisterFlagCompletionFunc("service", a.completeServices)

	var name, window string
	var target float64
	create := &cobra.Command{
		Use: "create SERVICE", Short: "Create an SLO for a service", Args: args("SERVICE"),
		Example:           `  upstatectl sla slos create API --name "API availability" --target 0.999 --window 30d`,
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
			body := map[string]any{"service_id": id, "name": name, "target": target, "window": window}
			return a.one(cmd.Context(), c, sloCols, http.MethodPost, "/slos", body)
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the SLO is called (required)")
	create.Flags().Float64Var(&target, "target", 0, "the fraction of the window not down, strictly between 0 and 1 (required)")
	create.Flags().StringVar(&window, "window", "30d", "7d, 28d, 30d or 90d")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("target")
	_ = create.RegisterFlagCompletionFunc("window", fixed("7d", "28d", "30d", "90d"))

	del := &cobra.Command{
		Use: "delete SLO", Short: "Delete an SLO", Args: args("SLO"),
		Example: `  upstatectl sla slos delete slo_01jdq…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if _, err := c.Do(cmd.Context(), http.MethodDelete, "/slos/"+args[0], nil, nil); err != nil {
				return err
			}
			cmd.Printf("SLO %s deleted\n", args[0])
			return nil
		},
	}
	return group("slos", "Manage service level objectives", "", list, create, del)
}
