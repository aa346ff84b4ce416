package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

// serviceIDPattern is the shape of a service id; anything else names a
// service.
var serviceIDPattern = regexp.MustCompile(`^svc_[0-9a-z]{26}$`)

// serviceID returns the id of the service ref names: an id as it is (the
// server answers 404 if there is none), a name looked up among the
// organisation's services.
func serviceID(ctx context.Context, c *rest.Client, ref string) (string, error) {
	if serviceIDPattern.MatchString(ref) {
		return ref, nil
	}
	items, err := c.List(ctx, "/services", nil, 0)
	if err != nil {
		return "", fmt.Errorf("look up service %q: %w", ref, err)
	}
	services := make([]namedService, 0, len(items))
	for _, it := range items {
		var s namedService
		if err := json.Unmarshal(it, &s); err != nil {
			return "", fmt.Errorf("decode service: %w", err)
		}
		services = append(services, s)
	}
	return matchService(services, ref)
}

// serviceIDs resolves every ref.
func serviceIDs(ctx context.Context, c *rest.Client, refs []string) ([]string, error) {
	ids := make([]string, len(refs))
	for i, r := range refs {
		id, err := serviceID(ctx, c, r)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

type namedService struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// matchService finds the one service named name: the one spelled
// exactly so, else the one equal regardless of case (as the server
// compares names). None is a not-found error; several, an error listing
// them.
func matchService(services []namedService, name string) (string, error) {
	name = strings.TrimSpace(name)
	var exact, folded []namedService
	for _, s := range services {
		switch {
		case s.Name == name:
			exact = append(exact, s)
		case strings.EqualFold(s.Name, name):
			folded = append(folded, s)
		}
	}
	found := exact
	if len(found) == 0 {
		found = folded
	}
	switch len(found) {
	case 0:
		return "", notFoundError{fmt.Errorf("no service named %q", name)}
	case 1:
		return found[0].ID, nil
	}
	names := make([]string, len(found))
	for i, s := range found {
		names[i] = fmt.Sprintf("%s (%s)", s.ID, s.Name)
	}
	return "", fmt.Errorf("service name %q is ambiguous: it matches %s; give the id instead", name, strings.Join(names, ", "))
}
