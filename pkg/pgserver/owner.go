package pgserver

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// runAs is the unprivileged account postgres runs under when we are root,
// because Postgres refuses to run as root.
type runAs struct {
	name string
	uid  int
	gid  int
}

// serverUser returns nil when the current user can run postgres itself, and
// the postgres system account when running as root.
func serverUser() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and Postgres refuses root: look up user postgres to run it as: %w "+
			"(create the user, as the postgresql package does, or run as a non-root user)", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("parse uid %q of user postgres: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("parse gid %q of user postgres: %w", u.Gid, err)
	}
	return &runAs{name: u.Username, uid: uid, gid: gid}, nil
}

// chown gives path to the server user; a no-op when not root.
func (r *runAs) chown(path string) error {
	if r == nil {
		return nil
	}
	if err := os.Lchown(path, r.uid, r.gid); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, r.name, err)
	}
	return nil
}

// chownTree gives root and everything below it to the server user.
func (r *runAs) chownTree(root string) error {
	if r == nil {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return r.chown(path)
	})
}

// checkTraversable reports the first ancestor of dir that the server user
// cannot enter; without that postgres cannot reach its data directory.
func (r *runAs) checkTraversable(dir string) error {
	if r == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check data dir parent: %w", err)
		}
		if !r.canEnter(fi) {
			return fmt.Errorf("directory %s is not traversable by user %s, who runs postgres because we run as root: "+
				"choose a data dir under a path every user can traverse (e.g. /tmp or /var/lib) or run as a non-root user", p, r.name)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (r *runAs) canEnter(fi os.FileInfo) bool {
	perm := fi.Mode().Perm()
	if perm&0o001 != 0 {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	switch {
	case int(st.Uid) == r.uid:
		return perm&0o100 != 0
	case int(st.Gid) == r.gid:
		return perm&0o010 != 0
	}
	return false
}
