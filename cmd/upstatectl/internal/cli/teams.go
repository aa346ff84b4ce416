package cli

import (
	"net/http"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
)

var teamCols = []printer.Column{
	{Header: "ID", Path: "id"}, {Header: "NAME", Path: "name"}, {Header: "MEMBERS", Path: "member_ids"},
	{Header: "CREATED", Path: "created_at"},
}

func (a *app) teamsCmd() *cobra.Command {
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List teams", Args: args(),
		Example: `  upstatectl teams list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.list(cmd.Context(), c, teamCols, "/teams", nil, limit)
		},
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default: all)")

	var members []string
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a team of users", Args: args("NAME"),
		Example: `  upstatectl teams create SRE --member ada@example.com --member "Grace Hopper"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ids, err := userKind.resolveAll(cmd.Context(), c, members)
			if err != nil {
				return err
			}
			return a.one(cmd.Context(), c, teamCols, http.MethodPost, "/teams", map[string]any{"name": args[0], "member_ids": ids})
		},
	}
	create.Flags().StringSliceVar(&members, "member", nil, "a member, user id, name or email (repeatable)")
	_ = create.RegisterFlagCompletionFunc("member", a.completer(userKind))

	del := &cobra.Command{
		Use: "delete TEAM", Short: "Delete a team (by id or name); its users stay", Args: args("TEAM"),
		Example:           `  upstatectl teams delete SRE`,
		ValidArgsFunction: firstArg(a.completer(teamKind)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := teamKind.resolve(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return remove(cmd, c, "team", "/teams/"+id, id)
		},
	}
	return group("teams", "Manage teams", "Teams are named groups of users. TEAM is an id (team_…) or a name. Needs the scope oncall (oncall:read to read).", list, create, del)
}
