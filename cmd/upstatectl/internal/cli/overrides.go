package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var overrideCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "SCHEDULE", Path: "schedule_id"}, {Header: "USER", Path: "user_id"},
	{Header: "FROM", Path: "from"}, {Header: "TO", Path: "to"}, {Header: "CREATED", Path: "created_at"},
}

func (a *app) overridesCmd() *cobra.Command {
	var user, from, to string
	create := &cobra.Command{
		Use:   "create SCHEDULE",
		Short: "Put a user on call on a schedule for a while",
		Long: `Put --user on call on a schedule from --from to --to (RFC 3339, "now", or
durations from now; at most 90 days), over every layer.`,
		Args: args("SCHEDULE"),
		Example: `  upstatectl overrides create Primary --user grace@example.com --from now --to 14h
  upstatectl overrides create Primary --user usr_01jdq… --from 2026-12-24T18:00:00Z --to 2026-12-26T08:00:00Z`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.instant("from", from)
			if err != nil {
				return err
			}
			t, err := a.instant("to", to)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			sid, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			uid, err := userKind.resolve(cmd.Context(), c, user)
			if err != nil {
				return err
			}
			body := map[string]any{"user_id": uid, "from": f, "to": t}
			return a.one(cmd.Context(), c, overrideCols, http.MethodPost, "/schedules/"+sid+"/overrides", body)
		},
	}
	create.Flags().StringVar(&user, "user", "", "who is on call, user id, name or email (required)")
	create.Flags().StringVar(&from, "from", "", "when the override starts (required)")
	create.Flags().StringVar(&to, "to", "", "when it ends (required)")
	for _, f := range []string{"user", "from", "to"} {
		_ = create.MarkFlagRequired(f)
	}
	_ = create.RegisterFlagCompletionFunc("user", a.completer(userKind))

	var all bool
	list := &cobra.Command{
		Use: "list SCHEDULE", Short: "List a schedule's overrides that have not ended", Args: args("SCHEDULE"),
		Example:           `  upstatectl overrides list Primary --all`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			sid, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			q := query()
			if all {
				q.Set("include_past", "true")
			}
			return a.list(cmd.Context(), c, overrideCols, "/schedules/"+sid+"/overrides", q, 0)
		},
	}
	list.Flags().BoolVar(&all, "all", false, "include the overrides that have ended")

	del := &cobra.Command{
		Use: "delete SCHEDULE OVERRIDE", Short: "Delete an override", Args: args("SCHEDULE", "OVERRIDE"),
		Example:           `  upstatectl overrides delete Primary ovr_01jdq…`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			sid, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "override", "/schedules/"+sid+"/overrides/"+args[1], args[1])
		},
	}
	return group("overrides", "Put someone else on call for a while",
		"Overrides put a user on call on a schedule from one instant to another, over every layer. SCHEDULE is an id (sch_…) or a name.",
		create, list, del)
}
