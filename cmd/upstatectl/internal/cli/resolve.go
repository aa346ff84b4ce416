package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

// kind is a resource that commands name by id or by name.
type kind struct {
	noun, path string
	// id is the shape of the kind's ids; anything else is a name.
	id *regexp.Regexp
}

func newKind(noun, path, prefix string) kind {
	return kind{noun: noun, path: path, id: regexp.MustCompile(`^` + prefix + `_[0-9a-z]{26}$`)}
}

var (
	serviceKind  = newKind("service", "/services", "svc")
	receiverKind = newKind("receiver", "/webhook-receivers", "whr")
	userKind     = newKind("user", "/users", "usr")
	teamKind     = newKind("team", "/teams", "team")
	scheduleKind = newKind("schedule", "/schedules", "sch")
	policyKind   = newKind("escalation policy", "/escalation-policies", "pol")
	channelKind  = newKind("channel", "/channels", "chn")
)

// resolve returns the id of the object ref names: an id as it is (the
// server answers 404 if there is none), a name looked up among the
// organisation's objects of the kind.
func (k kind) resolve(ctx context.Context, c *rest.Client, ref string) (string, error) {
	if k.id.MatchString(ref) {
		return ref, nil
	}
	items, err := k.named(ctx, c)
	if err != nil {
		return "", fmt.Errorf("look up %s %q: %w", k.noun, ref, err)
	}
	return matchName(k.noun, items, ref)
}

// resolveAll resolves every ref.
func (k kind) resolveAll(ctx context.Context, c *rest.Client, refs []string) ([]string, error) {
	ids := make([]string, len(refs))
	for i, r := range refs {
		id, err := k.resolve(ctx, c, r)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// named lists the organisation's objects of the kind.
func (k kind) named(ctx context.Context, c *rest.Client) ([]named, error) {
	items, err := c.List(ctx, k.path, nil, 0)
	if err != nil {
		return nil, err
	}
	out := make([]named, 0, len(items))
	for _, it := range items {
		var n named
		if err := json.Unmarshal(it, &n); err != nil {
			return nil, fmt.Errorf("decode %s: %w", k.noun, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// serviceID returns the id of the service ref names.
func serviceID(ctx context.Context, c *rest.Client, ref string) (string, error) {
	return serviceKind.resolve(ctx, c, ref)
}

// serviceIDs resolves every service ref.
func serviceIDs(ctx context.Context, c *rest.Client, refs []string) ([]string, error) {
	return serviceKind.resolveAll(ctx, c, refs)
}

// named is what a lookup reads of an object: users are also known by
// their email.
type named struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// matchName finds the one object named name: the one spelled exactly
// so, else the one equal regardless of case (as the server compares
// names), or whose email it is. None is a not-found error; several, an
// error listing them.
func matchName(noun string, items []named, name string) (string, error) {
	name = strings.TrimSpace(name)
	var exact, folded []named
	for _, s := range items {
		switch {
		case s.Name == name:
			exact = append(exact, s)
		case strings.EqualFold(s.Name, name), s.Email != "" && strings.EqualFold(s.Email, name):
			folded = append(folded, s)
		}
	}
	found := exact
	if len(found) == 0 {
		found = folded
	}
	switch len(found) {
	case 0:
		return "", notFoundError{fmt.Errorf("no %s named %q", noun, name)}
	case 1:
		return found[0].ID, nil
	}
	names := make([]string, len(found))
	for i, s := range found {
		names[i] = fmt.Sprintf("%s (%s)", s.ID, s.Name)
	}
	return "", fmt.Errorf("%s name %q is ambiguous: it matches %s; give the id instead", noun, name, strings.Join(names, ", "))
}

// completer completes an argument or flag with the names of the
// organisation's objects of the kind.
func (a *app) completer(k kind) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		c, err := a.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		c.Retries = 0
		items, err := k.named(cmd.Context(), c)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names := make([]string, 0, len(items))
		for _, it := range items {
			names = append(names, it.Name+"\t"+it.ID)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// firstArg completes only a command's first argument.
func firstArg(complete func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return complete(cmd, args, s)
	}
}
