package cli

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

var policyCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "STEPS", Path: "steps", Width: 60},
	{Header: "REPEAT", Path: "repeat"}, {Header: "VERSION", Path: "version"}, {Header: "UPDATED", Path: "updated_at"},
}

// targetKinds are a step target's kinds as --step names them, with the
// API's field and the kind its references name.
var targetKinds = map[string]struct {
	field string
	kind  kind
}{
	"schedule": {"schedule_id", scheduleKind},
	"user":     {"user_id", userKind},
	"channel":  {"channel_id", channelKind},
}

func (a *app) policiesCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List escalation policies", Args: args(),
		Example: `  upstatectl policies list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, policyCols, "/escalation-policies", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	get := &cobra.Command{
		Use: "get POLICY", Short: "Show an escalation policy with its steps", Args: args("POLICY"),
		Example:           `  upstatectl policies get Default -o yaml`,
		ValidArgsFunction: firstArg(a.completer(policyKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := policyKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, policyCols, http.MethodGet, "/escalation-policies/"+id, nil)
		},
	}

	var file string
	var steps []string
	var repeat int
	create := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create an escalation policy",
		Long: `Create an escalation policy: who is notified of an alert, and when. Each
--step is AFTER:KIND=REF[,KIND=REF…]: AFTER a duration from the alert firing
(0s to 24h, each step later than the one before), KIND schedule (whoever is
on call then), user or channel, REF an id or a name. --repeat runs the
steps again that many times (0–9) while the alert is not acknowledged.

Or the policy as JSON (-f, "-" for standard input) holding the API's body;
NAME, when given, replaces its name.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 0 && file == "") {
				return usagef("%s takes the policy's NAME, or -f FILE", cmd.CommandPath())
			}
			return nil
		},
		Example: `  upstatectl policies create Default --step 0m:schedule=Primary --step 5m:channel=chn_01jdq…,user=ada@example.com --repeat 1
  upstatectl policies create -f policy.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var body map[string]any
			switch {
			case file != "" && len(steps) > 0:
				return usagef("give --step or -f, not both")
			case file != "":
				var err error
				if body, err = a.readObject(file); err != nil {
					return err
				}
			case len(steps) == 0:
				return usagef("give at least one --step, or -f FILE")
			default:
				body = map[string]any{}
			}
			if len(args) == 1 {
				body["name"] = args[0]
			}
			if cmd.Flags().Changed("repeat") {
				body["repeat"] = repeat
			}
			parsed, err := parseSteps(steps)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if len(parsed) > 0 {
				if body["steps"], err = resolveSteps(cmd.Context(), c, parsed); err != nil {
					return err
				}
			}
			return a.one(cmd.Context(), c, policyCols, http.MethodPost, "/escalation-policies", body)
		},
	}
	f := create.Flags()
	f.StringVarP(&file, "file", "f", "", `the policy as JSON ("-": standard input)`)
	f.StringArrayVar(&steps, "step", nil, "a step, AFTER:KIND=REF[,KIND=REF…] (repeatable, in order)")
	f.IntVar(&repeat, "repeat", 0, "how many times the steps run again while unacknowledged (0–9)")

	del := &cobra.Command{
		Use:   "delete POLICY",
		Short: "Delete an escalation policy",
		Args:  args("POLICY"), Example: `  upstatectl policies delete Default`,
		ValidArgsFunction: firstArg(a.completer(policyKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := policyKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "escalation policy", "/escalation-policies/"+id, id)
		},
	}
	return group("policies", "Manage escalation policies",
		`Escalation policies say who is notified of an alert, and when; an alert rule
names one. POLICY is an id (pol_…) or a name. Needs the scope oncall
(oncall:read to read).`,
		list, get, create, del)
}

// step is a --step as written: its delay and its targets' kinds and
// references, in order.
type step struct {
	after   string
	targets [][2]string
}

// parseSteps reads --step values, refusing malformed ones as usage
// errors before anything is sent.
func parseSteps(values []string) ([]step, error) {
	out := make([]step, 0, len(values))
	for _, v := range values {
		after, rest, ok := strings.Cut(v, ":")
		if _, err := time.ParseDuration(after); !ok || err != nil {
			return nil, usagef("--step %q: start with a delay such as 0m: or 5m:", v)
		}
		s := step{after: after}
		for t := range strings.SplitSeq(rest, ",") {
			k, ref, ok := strings.Cut(t, "=")
			if _, known := targetKinds[k]; !ok || !known || ref == "" {
				return nil, usagef("--step %q: %q is not schedule=REF, user=REF or channel=REF", v, t)
			}
			s.targets = append(s.targets, [2]string{k, ref})
		}
		out = append(out, s)
	}
	return out, nil
}

// resolveSteps turns steps into the API's, their references into ids.
func resolveSteps(ctx context.Context, c *rest.Client, steps []step) ([]map[string]any, error) {
	out := make([]map[string]any, len(steps))
	for i, s := range steps {
		targets := make([]map[string]string, len(s.targets))
		for j, t := range s.targets {
			tk := targetKinds[t[0]]
			id, err := tk.kind.resolve(ctx, c, t[1])
			if err != nil {
				return nil, err
			}
			targets[j] = map[string]string{tk.field: id}
		}
		out[i] = map[string]any{"after": s.after, "targets": targets}
	}
	return out, nil
}
