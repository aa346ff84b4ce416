package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

var scheduleCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "TIME ZONE", Path: "time_zone"},
	{Header: "CREATED", Path: "created_at"}, {Header: "UPDATED", Path: "updated_at"},
}

// shiftCols show a shift with its user's name, which the table adds.
var shiftCols = []printer.Column{
	{Header: "USER", Path: "user_id"}, {Header: "NAME", Path: "user_name"}, {Header: "LAYER", Path: "layer"},
	{Header: "START", Path: "start"}, {Header: "END", Path: "end"},
}

// handoffUnits are the units of a rotation's hand-off by their suffix.
var handoffUnits = map[byte]string{'h': "hour", 'd': "day", 'w': "week"}

func (a *app) schedulesCmd() *cobra.Command {
	return group("schedules", "Manage on-call schedules and ask who is on call",
		`On-call schedules are layers of rotations in a time zone; overrides put
someone else on call for a while (see 'upstatectl overrides'). SCHEDULE is
an id (sch_…) or a name. Needs the scope oncall (oncall:read to read).`,
		a.schedulesListCmd(), a.schedulesGetCmd(), a.schedulesCreateCmd(), a.schedulesDeleteCmd(),
		a.schedulesOnCallCmd(), a.schedulesShiftsCmd(), a.schedulesICalCmd())
}

func (a *app) schedulesListCmd() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use: "list", Short: "List on-call schedules", Args: args(),
		Example: `  upstatectl schedules list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, scheduleCols, "/schedules", nil, limit)
		},
	}
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")
	return c
}

func (a *app) schedulesGetCmd() *cobra.Command {
	return &cobra.Command{
		Use: "get SCHEDULE", Short: "Show a schedule with its layers", Args: args("SCHEDULE"),
		Example:           `  upstatectl schedules get Primary -o yaml`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, scheduleCols, http.MethodGet, "/schedules/"+id, nil)
		},
	}
}

func (a *app) schedulesCreateCmd() *cobra.Command {
	var file, tz, start, handoff, layer string
	var members []string
	c := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create an on-call schedule",
		Long: `Create a schedule of one rotation from flags: the --member users take turns
in order, the first from --start (a local date-time in the schedule's zone,
no offset), handing off every --handoff (Nh, Nd or Nw: hours, calendar days
or weeks).

Several layers and working-hours restrictions come from a JSON file (-f,
"-" for standard input) holding the API's body (see the on-call guide);
NAME, when given, replaces its name. Members in a file are user ids.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 0 && file == "") {
				return usagef("%s takes the schedule's NAME, or -f FILE", cmd.CommandPath())
			}
			return nil
		},
		Example: `  upstatectl schedules create Primary --member ada@example.com --start 2026-12-07T09:00:00
  upstatectl schedules create Primary --time-zone Europe/Berlin \
    --member ada@example.com --member grace@example.com --start 2026-12-07T09:00:00 --handoff 1w
  upstatectl schedules create -f primary.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var body map[string]any
			if file != "" {
				if cmd.Flags().Changed("member") || cmd.Flags().Changed("start") || cmd.Flags().Changed("handoff") || cmd.Flags().Changed("layer-name") {
					return usagef("-f holds the layers: leave out --member, --start, --handoff and --layer-name")
				}
				var err error
				if body, err = a.readObject(file); err != nil {
					return err
				}
			} else {
				if len(members) == 0 || start == "" {
					return usagef("give --member and --start, or -f FILE")
				}
				every, unit, err := parseHandoff(handoff)
				if err != nil {
					return err
				}
				body = map[string]any{"layers": []map[string]any{{
					"name": layer, "start": start, "handoff": map[string]any{"every": every, "unit": unit},
				}}}
			}
			if len(args) == 1 {
				body["name"] = args[0]
			}
			if tz != "" {
				body["time_zone"] = tz
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if len(members) > 0 {
				ids, err := userKind.resolveAll(cmd.Context(), c, members)
				if err != nil {
					return err
				}
				body["layers"].([]map[string]any)[0]["members"] = ids
			}
			return a.one(cmd.Context(), c, scheduleCols, http.MethodPost, "/schedules", body)
		},
	}
	f := c.Flags()
	f.StringVarP(&file, "file", "f", "", `the schedule as JSON ("-": standard input)`)
	f.StringVar(&tz, "time-zone", "", "the schedule's IANA time zone (default UTC)")
	f.StringSliceVar(&members, "member", nil, "a user taking turns, id, name or email (repeatable, in order)")
	f.StringVar(&start, "start", "", "when the first member's turn starts, local time: 2026-12-07T09:00:00")
	f.StringVar(&handoff, "handoff", "1w", "how often the turn passes on: Nh, Nd or Nw")
	f.StringVar(&layer, "layer-name", "rotation", "the rotation's name")
	_ = c.RegisterFlagCompletionFunc("member", a.completer(userKind))
	_ = c.RegisterFlagCompletionFunc("handoff", fixed("1d", "1w", "2w", "12h"))
	return c
}

// parseHandoff reads a hand-off such as 1w into its count and unit.
func parseHandoff(s string) (int, string, error) {
	if len(s) >= 2 {
		if unit, ok := handoffUnits[s[len(s)-1]]; ok {
			if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n > 0 {
				return n, unit, nil
			}
		}
	}
	return 0, "", usagef("--handoff %q is not a count and a unit such as 12h, 1d or 1w", s)
}

func (a *app) schedulesDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete SCHEDULE",
		Short: "Delete a schedule and its overrides",
		Long:  "Delete a schedule and its overrides. A schedule an escalation policy targets cannot be deleted (the server names the policy).",
		Args:  args("SCHEDULE"), Example: `  upstatectl schedules delete Primary`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "schedule", "/schedules/"+id, id)
		},
	}
}

func (a *app) schedulesOnCallCmd() *cobra.Command {
	var at string
	c := &cobra.Command{
		Use:   "oncall SCHEDULE",
		Short: "Show who is on call now, or at --at",
		Long: `Show who is on call on a schedule now, or at --at (RFC 3339, "now", or a
duration from now such as 8h or -2h): overrides first, then the latest
layer with someone on call. The table names the users; JSON and YAML are
the API's answer (at, user_ids, shifts).`,
		Args: args("SCHEDULE"),
		Example: `  upstatectl schedules oncall Primary
  upstatectl schedules oncall Primary --at 2026-12-24T03:00:00Z
  upstatectl schedules oncall Primary -o json | jq -r '.user_ids[0]'`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if at != "" {
				t, err := a.instant("at", at)
				if err != nil {
					return err
				}
				q.Set("at", t)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			raw, err := c.Do(cmd.Context(), http.MethodGet, "/schedules/"+id+"/oncall", q, nil)
			if err != nil {
				return err
			}
			p := a.printer()
			if p.Format != printer.Table {
				return p.One(nil, raw)
			}
			var answer struct {
				At     time.Time         `json:"at"`
				Shifts []json.RawMessage `json:"shifts"`
			}
			if err := json.Unmarshal(raw, &answer); err != nil {
				return fmt.Errorf("decode on-call answer: %w", err)
			}
			if len(answer.Shifts) == 0 {
				cmd.Printf("nobody is on call at %s\n", answer.At.Format(time.RFC3339))
				return nil
			}
			return a.printShifts(cmd.Context(), c, answer.Shifts)
		},
	}
	c.Flags().StringVar(&at, "at", "", "the instant asked about (default now)")
	return c
}

func (a *app) schedulesShiftsCmd() *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "shifts SCHEDULE",
		Short: "List who is on call when, between --from and --to",
		Long: `List the final shifts of a schedule (layers and overrides combined), clipped
to --from and --to (RFC 3339, "now", or durations from now; at most 90
days apart).`,
		Args: args("SCHEDULE"),
		Example: `  upstatectl schedules shifts Primary --from now --to 168h
  upstatectl schedules shifts Primary --from 2026-12-07T00:00:00Z --to 2026-12-21T00:00:00Z -o json`,
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
			id, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			q := query("from", f, "to", t)
			items, err := c.List(cmd.Context(), "/schedules/"+id+"/shifts", q, 0)
			if err != nil {
				return err
			}
			if a.printer().Format != printer.Table {
				return a.printer().List(nil, items)
			}
			return a.printShifts(cmd.Context(), c, items)
		},
	}
	c.Flags().StringVar(&from, "from", "", "start of the range (required)")
	c.Flags().StringVar(&to, "to", "", "end of the range (required)")
	_ = c.MarkFlagRequired("from")
	_ = c.MarkFlagRequired("to")
	return c
}

// printShifts prints shifts as a table, each with its user's name.
func (a *app) printShifts(ctx context.Context, c *rest.Client, shifts []json.RawMessage) error {
	users, err := userKind.named(ctx, c)
	if err != nil {
		return fmt.Errorf("look up users: %w", err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	rows := make([]json.RawMessage, len(shifts))
	for i, s := range shifts {
		var row map[string]any
		if err := json.Unmarshal(s, &row); err != nil {
			return fmt.Errorf("decode shift: %w", err)
		}
		id, _ := row["user_id"].(string)
		row["user_name"] = names[id]
		if rows[i], err = json.Marshal(row); err != nil {
			return fmt.Errorf("encode shift: %w", err)
		}
	}
	return a.printer().List(shiftCols, rows)
}

func (a *app) schedulesICalCmd() *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "ical SCHEDULE",
		Short: "Write a schedule's shifts as an iCalendar file to standard output",
		Long: `Write a schedule's shifts as an RFC 5545 calendar to standard output, one
event per shift named after its user: from a week ago to 60 days later
unless --from and --to say otherwise. -o does not apply.`,
		Args: args("SCHEDULE"),
		Example: `  upstatectl schedules ical Primary > primary.ics
  upstatectl schedules ical Primary --from now --to 720h > next-month.ics`,
		ValidArgsFunction: firstArg(a.completer(scheduleKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for name, v := range map[string]string{"from": from, "to": to} {
				if v == "" {
					continue
				}
				t, err := a.instant(name, v)
				if err != nil {
					return err
				}
				q.Set(name, t)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := scheduleKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			raw, err := c.Do(cmd.Context(), http.MethodGet, "/schedules/"+id+"/ical", q, nil)
			if err != nil {
				return err
			}
			_, err = a.env.Stdout.Write(raw)
			return err
		},
	}
	c.Flags().StringVar(&from, "from", "", "start of the calendar (default a week ago)")
	c.Flags().StringVar(&to, "to", "", "end of the calendar (default 60 days after --from)")
	return c
}
