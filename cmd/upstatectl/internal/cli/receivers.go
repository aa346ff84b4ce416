package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

var receiverCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "ENABLED", Path: "enabled"},
	{Header: "SERVICE", Path: "service_id"}, {Header: "STATUS FIELD", Path: "status_field"},
	{Header: "SIGNATURE", Path: "signature.scheme"}, {Header: "TOKEN", Path: "token_prefix"},
}

// createdReceiverCols show the URL and token that only creation and
// rotation answer.
var createdReceiverCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "URL", Path: "url"}, {Header: "TOKEN", Path: "token"},
}

var deliveryCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "RECEIVED", Path: "received_at"}, {Header: "RESULT", Path: "result"},
	{Header: "RAW", Path: "raw_status", Width: 20}, {Header: "MAPPED", Path: "mapped_status"},
	{Header: "FROM", Path: "previous_status"}, {Header: "TO", Path: "new_status"},
	{Header: "SOURCE IP", Path: "source_ip"}, {Header: "ERROR", Path: "error", Width: 40},
}

func (a *app) receiversCmd() *cobra.Command {
	return group("receivers", "Manage webhook receivers",
		`Webhook receivers give any system that can POST JSON a URL that changes a service's status.
A RECEIVER is its id (whr_…) or its name; a name several receivers share needs the id.`,
		a.receiversListCmd(), a.receiversCreateCmd(), a.receiversRotateCmd(), a.receiversDeliveriesCmd())
}

func (a *app) receiversListCmd() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use: "list", Short: "List webhook receivers", Args: args(),
		Example: `  upstatectl receivers list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, receiverCols, "/webhook-receivers", nil, limit)
		},
	}
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	return c
}

func (a *app) receiversCreateCmd() *cobra.Command {
	var service, nameField, statusField, messageField, secret, scheme, header, autoIncident, preset string
	var mapping map[string]string
	var disabled bool
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a webhook receiver; its URL and token are shown once",
		Long: `Create a webhook receiver for one service (--service) or for the service each
payload names (--service-name-field). The answer holds the URL to give the
sender, with the token in it: it is shown only now.`,
		Args: args("NAME"),
		Example: `  upstatectl receivers create "uptime checks" --service API
  upstatectl receivers create statuspage --service API \
    --status-field data.attributes.current_status --secret change-me --auto-incident major
  upstatectl receivers create monitor --service-name-field check.service --map crashed=down
  upstatectl receivers create "vendor status" --preset statuspage --secret whsec_…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{"name": args[0]}
			if service != "" {
				id, err := serviceID(cmd.Context(), c, service)
				if err != nil {
					return err
				}
				body["service_id"] = id
			}
			for k, v := range map[string]string{"service_name_field": nameField, "status_field": statusField, "message_field": messageField, "preset": preset} {
				if v != "" {
					body[k] = v
				}
			}
			if len(mapping) > 0 {
				body["status_mapping"] = mapping
			}
			if secret != "" {
				sig := map[string]any{"secret": secret}
				if scheme != "" {
					sig["scheme"] = scheme
				}
				if header != "" {
					sig["header"] = header
				}
				body["signature"] = sig
			} else if scheme != "" || header != "" {
				return usagef("--signature-scheme and --signature-header need --secret")
			}
			if autoIncident != "" {
				body["auto_incident"] = map[string]any{"enabled": true, "severity": autoIncident}
			}
			if disabled {
				body["enabled"] = false
			}
			return a.one(cmd.Context(), c, createdReceiverCols, http.MethodPost, "/webhook-receivers", body)
		},
	}
	f := c.Flags()
	f.StringVar(&service, "service", "", "the service every delivery reports on (id or name)")
	f.StringVar(&nameField, "service-name-field", "", "dot path where each payload names its service (instead of --service)")
	f.StringVar(&statusField, "status-field", "", "dot path of the status word (default status)")
	f.StringVar(&messageField, "message-field", "", "dot path of the status description (default message)")
	f.StringToStringVar(&mapping, "map", nil, "the receiver's own words, word=status (repeatable)")
	f.StringVar(&secret, "secret", "", "require an HMAC-SHA256 signature with this secret")
	f.StringVar(&scheme, "signature-scheme", "", "hex (default), sha256=, base64 or standard-webhooks")
	f.StringVar(&header, "signature-header", "", "the header carrying the signature (default X-Webhook-Signature)")
	f.StringVar(&autoIncident, "auto-incident", "", "open incidents of this severity (minor, major, critical) on down and degraded")
	f.StringVar(&preset, "preset", "", "fill the fields left out from named settings: statuspage")
	f.BoolVar(&disabled, "disabled", false, "create it disabled")
	c.MarkFlagsMutuallyExclusive("service", "service-name-field")
	_ = c.RegisterFlagCompletionFunc("service", a.completeServices)
	_ = c.RegisterFlagCompletionFunc("signature-scheme", fixed("hex", "sha256=", "base64", "standard-webhooks"))
	_ = c.RegisterFlagCompletionFunc("auto-incident", fixed(severities...))
	_ = c.RegisterFlagCompletionFunc("preset", fixed("statuspage"))
	return c
}

func (a *app) receiversRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate RECEIVER",
		Short: "Replace a receiver's token (by id or name); the new URL and token are shown once",
		Long:  "Replace a receiver's token. The old URL stops working at once.",
		Args:  args("RECEIVER"),
		Example: `  upstatectl receivers rotate "uptime checks"
  upstatectl receivers rotate whr_01jdq5c7d8e9f0g1h2j3k4m5n6`,
		ValidArgsFunction: firstArg(a.completer(receiverKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := receiverKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, createdReceiverCols, http.MethodPost, "/webhook-receivers/"+id+"/rotate-token", nil)
		},
	}
}

func (a *app) receiversDeliveriesCmd() *cobra.Command {
	var follow bool
	var interval time.Duration
	c := &cobra.Command{
		Use:   "deliveries RECEIVER",
		Short: "Show a receiver's last 50 deliveries (by id or name)",
		Long: `Show a receiver's last 50 deliveries, newest first: the result
(processed, ignored, failed, auth_failed), the raw and mapped status, and
the status before and after.

With --follow, the log is printed oldest first and then watched: each new
delivery is printed as it arrives (one JSON object per line unless the
output is a table), until interrupted.`,
		Args: args("RECEIVER"),
		Example: `  upstatectl receivers deliveries "uptime checks"
  upstatectl receivers deliveries whr_01jdq5c7d8e9f0g1h2j3k4m5n6 -o json | jq '.[0].payload'
  upstatectl receivers deliveries "uptime checks" --follow`,
		ValidArgsFunction: firstArg(a.completer(receiverKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			// Resolved once, so --follow keeps watching this receiver
			// if it is renamed meanwhile.
			id, err := receiverKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			path := "/webhook-receivers/" + id + "/deliveries"
			if !follow {
				items, err := deliveries(cmd.Context(), c, path)
				if err != nil {
					return err
				}
				return a.printer().List(deliveryCols, items)
			}
			if interval <= 0 {
				return usagef("--interval must be positive")
			}
			return a.followDeliveries(cmd.Context(), c, path, interval)
		},
	}
	c.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new deliveries")
	c.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often --follow looks for new deliveries")
	return c
}

// deliveries fetches a receiver's delivery log, newest first.
func deliveries(ctx context.Context, c *rest.Client, path string) ([]json.RawMessage, error) {
	raw, err := c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("decode deliveries: %w", err)
	}
	return page.Data, nil
}

// followDeliveries polls the log every interval and prints, oldest first,
// the deliveries not printed before, until ctx ends.
func (a *app) followDeliveries(ctx context.Context, c *rest.Client, path string, interval time.Duration) error {
	seen := map[string]bool{}
	p := a.printer()
	header := true
	for {
		items, err := deliveries(ctx, c, path)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		// The log holds the last 50: what left it never comes back, so
		// only the ids of the current page need remembering.
		var fresh []json.RawMessage
		page := make(map[string]bool, len(items))
		for _, it := range items {
			var d struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(it, &d); err != nil {
				return fmt.Errorf("decode delivery: %w", err)
			}
			page[d.ID] = true
			if !seen[d.ID] {
				fresh = append(fresh, it)
			}
		}
		seen = page
		slices.Reverse(fresh)
		if len(fresh) > 0 || header {
			if err := p.Rows(deliveryCols, fresh, header); err != nil {
				return err
			}
			header = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.env.Clock.After(interval):
		}
	}
}
