package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var notificationCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "STATUS", Path: "status"}, {Header: "KIND", Path: "kind"},
	{Header: "TITLE", Path: "title", Width: 40}, {Header: "CHANNEL", Path: "channel_id"}, {Header: "DESTINATION", Path: "destination"},
	{Header: "ALERT", Path: "alert_id"}, {Header: "CREATED", Path: "created_at"}, {Header: "DELIVERED", Path: "delivered_at"},
}

func (a *app) notificationsCmd() *cobra.Command {
	var alert, channel, status string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List notifications and how their delivery went, newest first", Args: args(),
		Example: `  upstatectl notifications list --status dead
  upstatectl notifications list --channel "#ops" --limit 20
  upstatectl notifications list --alert alt_01jdq… -o json | jq '.[].attempts'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if channel != "" {
				if channel, err = channelKind.resolve(cmd.Context(), c, channel); err != nil {
					return err
				}
			}
			return a.list(cmd.Context(), c, notificationCols, "/notifications", query("alert_id", alert, "channel_id", channel, "status", status), limit)
		},
	}
	list.Flags().StringVar(&alert, "alert", "", "only this alert's (alt_…)")
	list.Flags().StringVar(&channel, "channel", "", "only this channel's (id or name)")
	list.Flags().StringVar(&status, "status", "", "pending, delivered or dead (default: all)")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	_ = list.RegisterFlagCompletionFunc("status", fixed("pending", "delivered", "dead"))
	_ = list.RegisterFlagCompletionFunc("channel", a.completer(channelKind))

	get := &cobra.Command{
		Use: "get NOTIFICATION", Short: "Show a notification with its delivery attempts", Args: args("NOTIFICATION"),
		Example: `  upstatectl notifications get ntf_01jdq… -o yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, notificationCols, http.MethodGet, "/notifications/"+args[0], nil)
		},
	}

	retry := &cobra.Command{
		Use:   "retry NOTIFICATION",
		Short: "Try a dead notification again",
		Long:  "Queue a dead notification again, under the same id, for another 24 hours of attempts. One that is not dead is refused (409).",
		Args:  args("NOTIFICATION"), Example: `  upstatectl notifications retry ntf_01jdq…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, notificationCols, http.MethodPost, "/notifications/"+args[0]+"/retry", nil)
		},
	}
	return group("notifications", "See how notifications were delivered, and retry dead ones",
		`Every message upstate sends (an alert to a channel, a channel test, a status
page subscriber's email) is a notification with a history of attempts:
pending, delivered or dead. Needs the scope oncall (oncall:read to read).`,
		list, get, retry)
}
