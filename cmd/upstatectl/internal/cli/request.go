package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/upstatehq/upstate/cmd/upstatectl/internal/printer"
	"github.com/upstatehq/upstate/cmd/upstatectl/internal/rest"
)

// one sends a request and prints the object it answers.
func (a *app) one(ctx context.Context, c *rest.Client, cols []printer.Column, method, path string, body any) error {
	raw, err := c.Do(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	return a.printer().One(cols, raw)
}

// list fetches a list (up to max items, 0: all) and prints it.
func (a *app) list(ctx context.Context, c *rest.Client, cols []printer.Column, path string, query url.Values, max int) error {
	items, err := c.List(ctx, path, query, max)
	if err != nil {
		return err
	}
	return a.printer().List(cols, items)
}

// get fetches one object and decodes it into v.
func get(ctx context.Context, c *rest.Client, path string, v any) error {
	raw, err := c.Do(ctx, "GET", path, nil, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// query builds a query string from pairs of names and values, leaving
// out empty values.
func query(pairs ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	return q
}

// readObject reads a JSON object from a file, or from standard input
// for "-": a body too rich for flags.
func (a *app) readObject(path string) (map[string]any, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(a.env.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usagef("read -f: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, usagef("-f %s is not a JSON object: %v", path, err)
	}
	return body, nil
}

// remove deletes the object at path and says so.
func remove(cmd *cobra.Command, c *rest.Client, noun, path, id string) error {
	if _, err := c.Do(cmd.Context(), http.MethodDelete, path, nil, nil); err != nil {
		return err
	}
	cmd.Printf("%s %s deleted\n", noun, id)
	return nil
}
