package cli

import (
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var maintenanceStatuses = []string{"scheduled", "in_progress", "completed", "cancelled"}

var maintenanceCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "TITLE", Path: "title", Width: 40}, {Header: "STATUS", Path: "status"},
	{Header: "SERVICES", Path: "service_ids"}, {Header: "STARTS", Path: "starts_at"}, {Header: "ENDS", Path: "ends_at"},
}

func (a *app) maintenanceCmd() *cobra.Command {
	return group("maintenance", "Schedule and cancel maintenance windows",
		"A maintenance window puts its services in maintenance from its start to its end, then gives each back the status it had.",
		a.maintenanceScheduleCmd(), a.maintenanceListCmd(), a.maintenanceCancelCmd())
}

func (a *app) maintenanceScheduleCmd() *cobra.Command {
	var start, end, message string
	var duration time.Duration
	var services []string
	c := &cobra.Command{
		Use:   "schedule TITLE",
		Short: "Schedule a maintenance window",
		Long: `Schedule a maintenance window. --start is an RFC 3339 time, "now", or a
duration from now (30m); the end is --end (the same forms, a duration
counted from now) or --duration after the start. A start in the past
starts the window at once.`,
		Args: args("TITLE"),
		Example: `  upstatectl maintenance schedule "Database upgrade" --service API \
    --start 2026-12-01T02:00:00Z --end 2026-12-01T03:00:00Z -m "Writes pause for up to 5 minutes."
  upstatectl maintenance schedule "Hotfix" --service API --service Checkout --start now --duration 15m`,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := a.env.Clock.Now()
			from, err := when(start, now)
			if err != nil {
				return usagef("--start: %v", err)
			}
			var to time.Time
			switch {
			case end != "" && duration != 0:
				return usagef("give --end or --duration, not both")
			case end != "":
				if to, err = when(end, now); err != nil {
					return usagef("--end: %v", err)
				}
			case duration > 0:
				to = from.Add(duration)
			default:
				return usagef("give --end or a positive --duration")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ids, err := serviceIDs(cmd.Context(), c, services)
			if err != nil {
				return err
			}
			body := map[string]any{
				"title": args[0], "service_ids": ids,
				"starts_at": from.UTC().Format(time.RFC3339Nano), "ends_at": to.UTC().Format(time.RFC3339Nano),
			}
			if message != "" {
				body["message"] = message
			}
			return a.one(cmd.Context(), c, maintenanceCols, http.MethodPost, "/maintenances", body)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&services, "service", nil, "a service to put in maintenance, id or name (repeatable, at least one)")
	f.StringVar(&start, "start", "now", `when it starts: RFC 3339, "now" or a duration from now`)
	f.StringVar(&end, "end", "", `when it ends: RFC 3339 or a duration from now`)
	f.DurationVar(&duration, "duration", 0, "how long it lasts from its start (instead of --end)")
	f.StringVarP(&message, "message", "m", "", "what is done and what users notice")
	_ = c.MarkFlagRequired("service")
	_ = c.RegisterFlagCompletionFunc("service", a.completeServices)
	return c
}

// instant reads a flag's time as when does, in the API's form.
func (a *app) instant(flag, s string) (string, error) {
	t, err := when(s, a.env.Clock.Now())
	if err != nil {
		return "", usagef("--%s: %v", flag, err)
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}

// when reads a time: RFC 3339, "now", or a duration from now.
func when(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef(`%q is neither an RFC 3339 time, "now" nor a duration`, s)
	}
	return t, nil
}

func (a *app) maintenanceListCmd() *cobra.Command {
	var status, service string
	var limit int
	c := &cobra.Command{
		Use: "list", Short: "List maintenance windows", Args: args(),
		Example: `  upstatectl maintenance list --status scheduled`,
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
			return a.list(cmd.Context(), c, maintenanceCols, "/maintenances", query("status", status, "service", service), limit)
		},
	}
	c.Flags().StringVar(&status, "status", "", "scheduled, in_progress, completed or cancelled (default: all)")
	c.Flags().StringVar(&service, "service", "", "only those involving this service (id or name)")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	_ = c.RegisterFlagCompletionFunc("status", fixed(maintenanceStatuses...))
	_ = c.RegisterFlagCompletionFunc("service", a.completeServices)
	return c
}

func (a *app) maintenanceCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "cancel MAINTENANCE",
		Short:   "Cancel a scheduled window, or end one in progress now",
		Args:    args("MAINTENANCE"),
		Example: `  upstatectl maintenance cancel mnt_01jdq…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, maintenanceCols, http.MethodDelete, "/maintenances/"+args[0], nil)
		},
	}
}
