package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ErrNotInstalled is returned, wrapped, by FindBinDir when no directory holds
// both initdb and postgres.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb, postgres) not found; " +
	"install them (Debian/Ubuntu: apt-get install postgresql-15; macOS: brew install postgresql@15) " +
	"or set DATABASE_URL to an existing server")

// searchDirs are the places packagers install the server binaries, in order of
// preference. A pattern's matches are tried highest version first.
var searchDirs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/local/pgsql/bin",
	"/opt/homebrew/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql@*/bin",
}

// FindBinDir returns the directory holding initdb and postgres. It looks in
// PATH first, then in /usr/lib/postgresql/<N>/bin (highest N first),
// /usr/local/pgsql/bin and the Homebrew postgresql@<N> kegs. When none has
// both binaries the error wraps ErrNotInstalled.
func FindBinDir() (string, error) {
	return findBinDir(os.Getenv("PATH"), searchDirs)
}

// findBinDir searches the directories of pathList (PATH syntax), then the
// glob patterns.
func findBinDir(pathList string, patterns []string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !hasServerBinaries(dir) {
			continue
		}
		// Packagers often symlink postgres into PATH; postgres finds its
		// share directory relative to the real file, so prefer that.
		if real, err := filepath.EvalSymlinks(filepath.Join(dir, "postgres")); err == nil {
			if realDir := filepath.Dir(real); hasServerBinaries(realDir) {
				dir = realDir
			}
		}
		return absDir(dir)
	}
	for _, pattern := range patterns {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return "", fmt.Errorf("search %s: %w", pattern, err)
		}
		sort.SliceStable(matches, func(i, j int) bool {
			return versionIn(matches[i]) > versionIn(matches[j])
		})
		for _, dir := range matches {
			if hasServerBinaries(dir) {
				return absDir(dir)
			}
		}
	}
	return "", fmt.Errorf("%w (searched PATH and %s)", ErrNotInstalled, strings.Join(patterns, ", "))
}

func absDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	return abs, nil
}

func hasServerBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var pathVersion = regexp.MustCompile(`postgresql[/@](\d+)`)

// versionIn returns the major version a path names, such as 15 for
// /usr/lib/postgresql/15/bin, or 0.
func versionIn(path string) int {
	m := pathVersion.FindStringSubmatch(path)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var versionOutput = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// MajorVersion returns the major version of the postgres binary in binDir,
// such as 15. Data directories are compatible within a major version only.
func MajorVersion(binDir string) (int, error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("run postgres --version: %w", err)
	}
	m := versionOutput.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("parse postgres version %q", strings.TrimSpace(string(out)))
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return 0, fmt.Errorf("parse postgres version %q: %w", m[1], err)
	}
	return n, nil
}
