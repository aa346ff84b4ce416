package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var userCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "EMAIL", Path: "email"},
	{Header: "TIME ZONE", Path: "time_zone"}, {Header: "CHANNELS", Path: "channel_ids"}, {Header: "CREATED", Path: "created_at"},
}

func (a *app) usersCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List the people who can be on call", Args: args(),
		Example: `  upstatectl users list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, userCols, "/users", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	get := &cobra.Command{
		Use: "get USER", Short: "Show a user (by id, name or email)", Args: args("USER"),
		Example:           `  upstatectl users get ada@example.com -o yaml`,
		ValidArgsFunction: firstArg(a.completer(userKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := userKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, userCols, http.MethodGet, "/users/"+id, nil)
		},
	}

	var email, tz, slack, phone string
	var channels []string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user",
		Long: `Create a user: a person who can be on call or be notified. --email is unique
in the organisation. --channel gives their personal notification channels
(id or name), in the order they are tried.`,
		Args: args("NAME"),
		Example: `  upstatectl users create "Ada Lovelace" --email ada@example.com --time-zone Europe/London
  upstatectl users create Grace --email grace@example.com --channel "Grace's phone" --phone +447700900123`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{"name": args[0], "email": email}
			for k, v := range map[string]string{"time_zone": tz, "slack_member_id": slack, "phone": phone} {
				if v != "" {
					body[k] = v
				}
			}
			if len(channels) > 0 {
				ids, err := channelKind.resolveAll(cmd.Context(), c, channels)
				if err != nil {
					return err
				}
				body["channel_ids"] = ids
			}
			return a.one(cmd.Context(), c, userCols, http.MethodPost, "/users", body)
		},
	}
	f := create.Flags()
	f.StringVar(&email, "email", "", "their email address (required)")
	f.StringVar(&tz, "time-zone", "", "their IANA time zone (default UTC)")
	f.StringVar(&slack, "slack-member-id", "", "their Slack member id")
	f.StringVar(&phone, "phone", "", "their phone number, E.164")
	f.StringSliceVar(&channels, "channel", nil, "a personal notification channel, id or name (repeatable)")
	_ = create.MarkFlagRequired("email")
	_ = create.RegisterFlagCompletionFunc("channel", a.completer(channelKind))

	del := &cobra.Command{
		Use:   "delete USER",
		Short: "Delete a user (by id, name or email)",
		Long: `Delete a user; they leave their teams. A user on a schedule, with an
override, or targeted by an escalation policy cannot be deleted (the
server names what holds them).`,
		Args:              args("USER"),
		Example:           `  upstatectl users delete usr_01jdq…`,
		ValidArgsFunction: firstArg(a.completer(userKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := userKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "user", "/users/"+id, id)
		},
	}
	return group("users", "Manage users",
		"Users are the people who can be on call and be notified. USER is an id (usr_…), a name or an email. Needs the scope oncall (oncall:read to read).",
		list, get, create, del)
}
