package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

// channelTypes are the kinds of notification channel.
var channelTypes = []string{"webhook", "slack", "discord", "msteams", "email", "pagerduty", "upstate"}

// channelCols show credentials as the API answers them: URLs reduced to
// their scheme and host, routing keys to their first characters.
var channelCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "TYPE", Path: "type"},
	{Header: "URL", Path: "config.url"}, {Header: "TO", Path: "config.to"}, {Header: "ROUTING KEY", Path: "config.routing_key"},
	{Header: "CREATED", Path: "created_at"},
}

// createdChannelCols add a webhook channel's signing secret, which only
// creation answers.
var createdChannelCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "TYPE", Path: "type"},
	{Header: "URL", Path: "config.url"}, {Header: "SECRET", Path: "secret"},
}

func (a *app) channelsCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List notification channels", Args: args(),
		Example: `  upstatectl channels list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, channelCols, "/channels", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	get := &cobra.Command{
		Use: "get CHANNEL", Short: "Show a channel (credentials masked)", Args: args("CHANNEL"),
		Example:           `  upstatectl channels get "#ops" -o yaml`,
		ValidArgsFunction: firstArg(a.completer(channelKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := channelKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, channelCols, http.MethodGet, "/channels/"+id, nil)
		},
	}

	var typ, target, to, routingKey, baseURL, secret, template string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a notification channel; a webhook's secret is shown once",
		Long: `Create a notification channel of --type:
  webhook, slack, discord, msteams  --url
  email                             --to
  pagerduty                         --routing-key [--base-url]
  upstate                           --url (another upstate's receiver) [--secret]
A webhook channel's signing secret (whsec_…) is made by the server and
printed now only. Credentials are never shown again: URLs come back as
their scheme and host, routing keys as their first characters.
--template is a Go text/template making the message's text.`,
		Args: args("NAME"),
		Example: `  upstatectl channels create "#ops" --type slack --url https://hooks.slack.com/services/T000/B000/XXXX
  upstatectl channels create "Incident bot" --type webhook --url https://bot.example.com/upstate
  upstatectl channels create Pager --type pagerduty --routing-key R0123456789abcdef
  SECRET=$(upstatectl channels create bot --type webhook --url https://bot.example.com/hook -o json | jq -r .secret)`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := map[string]any{}
			for k, v := range map[string]string{"url": target, "to": to, "routing_key": routingKey, "base_url": baseURL, "secret": secret} {
				if v != "" {
					cfg[k] = v
				}
			}
			body := map[string]any{"name": args[0], "type": typ, "config": cfg}
			if template != "" {
				body["template"] = template
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, createdChannelCols, http.MethodPost, "/channels", body)
		},
	}
	f := create.Flags()
	f.StringVar(&typ, "type", "", "webhook, slack, discord, msteams, email, pagerduty or upstate (required)")
	f.StringVar(&target, "url", "", "where messages are posted")
	f.StringVar(&to, "to", "", "the email address (email)")
	f.StringVar(&routingKey, "routing-key", "", "the Events API v2 routing key (pagerduty)")
	f.StringVar(&baseURL, "base-url", "", "the Events API's server (pagerduty; default https://events.pagerduty.com)")
	f.StringVar(&secret, "secret", "", "the receiver's signing secret (upstate)")
	f.StringVar(&template, "template", "", "a Go text/template of the message's text")
	_ = create.MarkFlagRequired("type")
	_ = create.RegisterFlagCompletionFunc("type", fixed(channelTypes...))

	del := &cobra.Command{
		Use:   "delete CHANNEL",
		Short: "Delete a channel; its history stays",
		Long:  "Delete a channel. Its notifications' history stays; those still pending are given up.",
		Args:  args("CHANNEL"), Example: `  upstatectl channels delete "#ops"`,
		ValidArgsFunction: firstArg(a.completer(channelKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := channelKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "channel", "/channels/"+id, id)
		},
	}

	test := &cobra.Command{
		Use:   "test CHANNEL",
		Short: "Send a test message through a channel",
		Long: `Send a test message through a channel. It is queued like any notification:
the answer is its id, and 'upstatectl notifications get' says how the
delivery went.`,
		Args: args("CHANNEL"),
		Example: `  upstatectl channels test "#ops"
  upstatectl notifications get $(upstatectl channels test "#ops" -o json | jq -r .notification_id)`,
		ValidArgsFunction: firstArg(a.completer(channelKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := channelKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, []printer.Column{{Header: "NOTIFICATION", Path: "notification_id"}},
				http.MethodPost, "/channels/"+id+"/test", nil)
		},
	}
	return group("channels", "Manage notification channels",
		`Channels are where notifications go: Slack, Discord, Microsoft Teams, email,
PagerDuty, a signed webhook or another upstate. CHANNEL is an id (chn_…) or
a name. Needs the scope oncall (oncall:read to read).`,
		list, get, create, del, test)
}
