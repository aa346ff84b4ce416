// Package printer writes API objects as a table, JSON or YAML. Objects
// stay the API's JSON: JSON output is the server's, indented, and YAML
// keeps its key order.
package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// Formats are the valid values of -o.
var Formats = []string{string(Table), string(JSON), string(YAML)}

// Column is a table column: a header and the dot path of the field it
// shows.
type Column struct {
	Header string
	Path   string
	// Width, when positive, cuts longer values (with an ellipsis).
	Width int
}

// Printer writes objects in one format.
type Printer struct {
	W      io.Writer
	Format Format
}

// List writes items: a table with a header row, a JSON array, or a YAML
// sequence.
func (p Printer) List(cols []Column, items []json.RawMessage) error {
	switch p.Format {
	case JSON:
		if items == nil {
			items = []json.RawMessage{}
		}
		raw, err := json.Marshal(items)
		if err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		return p.json(raw)
	case YAML:
		raw, err := json.Marshal(items)
		if err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		return p.yaml(raw)
	}
	return p.table(cols, items, true)
}

// One writes one object: a one-row table, a JSON object or a YAML mapping.
func (p Printer) One(cols []Column, item json.RawMessage) error {
	switch p.Format {
	case JSON:
		return p.json(item)
	case YAML:
		return p.yaml(item)
	}
	return p.table(cols, []json.RawMessage{item}, true)
}

// Rows writes items as table rows (with the header when header is set),
// or as one compact JSON object per line in the other formats: what a
// follow mode prints as new items come.
func (p Printer) Rows(cols []Column, items []json.RawMessage, header bool) error {
	if p.Format == Table {
		return p.table(cols, items, header)
	}
	for _, it := range items {
		var b bytes.Buffer
		if err := json.Compact(&b, it); err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		b.WriteByte('\n')
		if _, err := p.W.Write(b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func (p Printer) json(raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	b.WriteByte('\n')
	_, err := p.W.Write(b.Bytes())
	return err
}

// yaml converts JSON to YAML through a node tree, which keeps the order
// of the object's keys (decoding into a map would sort them).
func (p Printer) yaml(raw []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(p.W)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return enc.Close()
}

// blockStyle drops the flow style and quotes JSON's syntax gave the nodes,
// so the document is written as YAML usually is.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" {
			n.Style = 0 // the encoder quotes what would not read back as a string
		}
	} else {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func (p Printer) table(cols []Column, items []json.RawMessage, header bool) error {
	tw := tabwriter.NewWriter(p.W, 0, 4, 2, ' ', 0)
	if header {
		hs := make([]string, len(cols))
		for i, c := range cols {
			hs[i] = c.Header
		}
		fmt.Fprintln(tw, strings.Join(hs, "\t"))
	}
	for _, it := range items {
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.UseNumber()
		var obj any
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("decode item: %w", err)
		}
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cut(Cell(Lookup(obj, c.Path)), c.Width)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// Lookup returns the value at a dot path of a decoded JSON value (nil
// when absent).
func Lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Cell renders a JSON value in a table cell: "-" for null or empty, lists
// joined by commas, objects as k=v pairs.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return strings.ReplaceAll(strings.ReplaceAll(x, "\n", " "), "\t", " ")
	case []any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Cell(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if len(x) == 0 {
			return "-"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + Cell(x[k])
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func cut(s string, width int) string {
	if width <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}
