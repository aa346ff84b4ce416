package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// The same list as a table (the default on a terminal), JSON (the
// default otherwise) and YAML.
func TestOutputFormats(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.createService("API")
	s.mustRun("services", "create", "Checkout", "--description", "Card payments", "--status", "degraded")

	var list []map[string]any
	s.mustRun("services", "list").json(t, &list) // not a terminal: JSON
	if len(list) != 2 || list[0]["name"] != "API" || list[1]["status"] != "degraded" {
		t.Fatalf("services list = %v", list)
	}

	term := s.env()
	term.terminal = true
	table := s.runWith(context.Background(), term, "services", "list")
	lines := strings.Split(strings.TrimSpace(table.stdout), "\n")
	if table.code != ExitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") ||
		!strings.Contains(lines[0], "STATUS") || !strings.Contains(lines[2], "Checkout") || !strings.Contains(lines[2], "degraded") {
		t.Fatalf("services list on a terminal:\n%s", table.stdout)
	}

	out := s.mustRun("services", "get", "Checkout", "-o", "yaml").stdout
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("-o yaml printed no YAML (%v):\n%s", err, out)
	}
	m := doc.Content[0]
	// The API's key order is kept, and values read back as they were.
	if m.Kind != yaml.MappingNode || m.Content[0].Value != "id" || !strings.Contains(out, "\nname: Checkout\n") ||
		!strings.Contains(out, "\ndescription: Card payments\n") || !strings.Contains(out, "\nversion: 1\n") {
		t.Fatalf("-o yaml:\n%s", out)
	}
}

// Contexts: set-context writes a file only its owner reads, commands use
// the current context, environment and flags override it, and
// get-contexts never shows a whole key.
func TestConfigContexts(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.createService("API")
	env := runEnv{vars: map[string]string{"UPSTATECTL_CONFIG": s.configPath}, stdin: bootstrapKey + "\n"}

	r := s.runWith(context.Background(), env, "config", "set-context", "local", "--url", s.baseURL, "--api-key-stdin")
	if r.code != ExitOK {
		t.Fatalf("set-context: exit %d: %s", r.code, r.stderr)
	}
	if st, err := os.Stat(s.configPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if r := s.runWith(context.Background(), env, "services", "get", "API", "-o", "json"); r.code != ExitOK {
		t.Fatalf("with the first context, the current one: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(s.configPath)
	if err != nil || !strings.Contains(string(b), "current-context: local") {
		t.Fatalf("config file: %v\n%s", err, b)
	}

	// A second context pointing nowhere; --context and use-context pick it.
	if r := s.runWith(context.Background(), env, "config", "set-context", "broken", "--url", "http://127.0.0.1:1", "--api-key", "ak_live_x"); r.code != ExitOK {
		t.Fatalf("set-context broken: %s", r.stderr)
	}
	if r := s.runWith(context.Background(), env, "--context", "broken", "services", "list"); r.code != ExitError {
		t.Fatalf("--context broken: exit %d, want 1: %s", r.code, r.stderr)
	}
	if r := s.runWith(context.Background(), env, "config", "use-context", "broken"); r.code != ExitOK {
		t.Fatalf("use-context: %s", r.stderr)
	}
	if r := s.runWith(context.Background(), env, "config", "current-context"); strings.TrimSpace(r.stdout) != "broken" {
		t.Fatalf("current-context = %q", r.stdout)
	}
	// The environment overrides the context, and a flag the environment.
	env.vars["UPSTATE_URL"] = s.baseURL
	env.vars["UPSTATE_API_KEY"] = bootstrapKey
	if r := s.runWith(context.Background(), env, "services", "list"); r.code != ExitOK {
		t.Fatalf("UPSTATE_URL over the context: exit %d: %s", r.code, r.stderr)
	}
	if r := s.runWith(context.Background(), env, "--url", "http://127.0.0.1:1", "services", "list"); r.code != ExitError {
		t.Fatalf("--url over UPSTATE_URL: exit %d", r.code)
	}

	var contexts []map[string]any
	s.runWith(context.Background(), env, "config", "get-contexts", "-o", "json").json(t, &contexts)
	if len(contexts) != 2 || contexts[0]["name"] != "local" || contexts[1]["current"] != "*" ||
		contexts[0]["api_key"] != bootstrapKey[:12]+"…" {
		t.Fatalf("get-contexts = %v", contexts)
	}
	if out := s.runWith(context.Background(), env, "config", "get-contexts").stdout; strings.Contains(out, bootstrapKey) {
		t.Fatalf("get-contexts shows a whole key:\n%s", out)
	}
}

// Every command has examples in its help.
func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	var missing []string
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Example == "" {
			missing = append(missing, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit((&app{}).root())
	if len(missing) > 0 {
		t.Fatalf("commands without examples: %v", missing)
	}
}

// Shell completion scripts are generated for bash, zsh and fish.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{"bash": "__start_upstatectl", "zsh": "#compdef upstatectl", "fish": "complete -c upstatectl"} {
		var stdout, stderr syncBuffer
		code := Run(context.Background(), []string{"completion", shell}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
		if code != ExitOK || !strings.Contains(stdout.String(), want) {
			t.Errorf("completion %s: exit %d, no %q in its script (stderr %q)", shell, code, want, stderr.String())
		}
	}
}
