// Package ctlconfig is upstatectl's configuration file: named contexts,
// each a server, an API key and a NATS server, and the one in use, as
// kubectl keeps clusters. The file holds API keys, so it is written
// readable by its owner only.
package ctlconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"
)

// File is the configuration file's content.
type File struct {
	CurrentContext string    `yaml:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts,omitempty"`
}

// Context is a named set of connection settings.
type Context struct {
	Name string `yaml:"name"`
	// URL is the server's base URL (http://127.0.0.1:8080).
	URL    string `yaml:"url,omitempty"`
	APIKey string `yaml:"api-key,omitempty"`
	// NATSURL and NATSCreds are where `events tail` reads the streams.
	NATSURL   string `yaml:"nats-url,omitempty"`
	NATSCreds string `yaml:"nats-creds,omitempty"`
}

// ErrNoContext is returned for a context name the file does not have.
var ErrNoContext = errors.New("no such context")

// DefaultPath is upstatectl.yaml in the user's configuration directory
// (~/.config/upstate on Linux), unless env names another file.
func DefaultPath(env string) (string, error) {
	if env != "" {
		return env, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory: %w", err)
	}
	return filepath.Join(dir, "upstate", "upstatectl.yaml"), nil
}

// Load reads the file at path; a missing file is an empty configuration.
// It also says whether the file is readable by others than its owner.
func Load(path string) (f *File, exposed bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read config: %w", err)
	}
	f = &File{}
	if err := yaml.Unmarshal(b, f); err != nil {
		return nil, false, fmt.Errorf("parse config %s: %w", path, err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		exposed = true
	}
	return f, exposed, nil
}

// Save writes f to path, mode 0600, creating its directory (0700). It
// replaces the file in one rename, so a reader never sees half of it.
func (f *File) Save(path string) error {
	b, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upstatectl-*.yaml")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// Context returns the named context.
func (f *File) Context(name string) (Context, error) {
	i := f.index(name)
	if i < 0 {
		return Context{}, fmt.Errorf("%w %q", ErrNoContext, name)
	}
	return f.Contexts[i], nil
}

// Set adds c, or changes the context of its name: the non-empty fields
// of c replace the context's. The first context becomes the current one.
func (f *File) Set(c Context) {
	i := f.index(c.Name)
	if i < 0 {
		f.Contexts = append(f.Contexts, c)
	} else {
		old := &f.Contexts[i]
		for _, p := range []struct {
			dst *string
			src string
		}{
			{&old.URL, c.URL}, {&old.APIKey, c.APIKey}, {&old.NATSURL, c.NATSURL}, {&old.NATSCreds, c.NATSCreds},
		} {
			if p.src != "" {
				*p.dst = p.src
			}
		}
	}
	if f.CurrentContext == "" {
		f.CurrentContext = c.Name
	}
}

// Use makes the named context the current one.
func (f *File) Use(name string) error {
	if f.index(name) < 0 {
		return fmt.Errorf("%w %q", ErrNoContext, name)
	}
	f.CurrentContext = name
	return nil
}

func (f *File) index(name string) int {
	return slices.IndexFunc(f.Contexts, func(c Context) bool { return c.Name == name })
}
