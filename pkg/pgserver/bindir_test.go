package pgserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinDirMissing(t *testing.T) {
	bogus := filepath.Join(t.TempDir(), "nowhere")
	_, err := findBinDir(bogus, []string{filepath.Join(bogus, "postgresql", "*", "bin")})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	for _, want := range []string{"apt-get install postgresql-15", "brew install postgresql@15", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	v9 := fakeBinDir(t, filepath.Join(root, "postgresql", "9", "bin"))
	v15 := fakeBinDir(t, filepath.Join(root, "postgresql", "15", "bin"))
	onlyPostgres := filepath.Join(root, "half")
	writeExecutable(t, filepath.Join(onlyPostgres, "postgres"))
	linked := filepath.Join(root, "linked")
	for _, name := range []string{"postgres", "initdb"} {
		if err := os.MkdirAll(linked, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(v9, name), filepath.Join(linked, name)); err != nil {
			t.Fatal(err)
		}
	}
	pattern := filepath.Join(root, "postgresql", "*", "bin")

	tests := []struct {
		name     string
		path     string
		patterns []string
		want     string
	}{
		{"highest version, numerically", "", []string{pattern}, v15},
		{"PATH first", v9, []string{pattern}, v9},
		{"PATH needs both binaries", onlyPostgres, []string{pattern}, v15},
		{"PATH symlinks resolved", linked, []string{pattern}, v9},
		{"later patterns", "", []string{filepath.Join(root, "none", "*"), pattern}, v15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinDir(tt.path, tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("findBinDir = %s, want %s", got, tt.want)
			}
		})
	}
}

func fakeBinDir(t *testing.T, dir string) string {
	t.Helper()
	writeExecutable(t, filepath.Join(dir, "postgres"))
	writeExecutable(t, filepath.Join(dir, "initdb"))
	return dir
}

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{"", 2, ""},
		{"a\n", 2, "a"},
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
	}
	for _, tt := range tests {
		if got := lastLines(tt.text, tt.n); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
}
