package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Init makes sure cfg.DataDir holds a cluster, copying cfg.Template or running
// initdb when it has no PG_VERSION yet, without starting a server. Start calls
// it; call it alone to prepare a template.
func Init(ctx context.Context, cfg Config) error {
	s, err := newSetup(cfg)
	if err != nil {
		return err
	}
	return s.init(ctx)
}

// setup is a Config with its defaults resolved.
type setup struct {
	cfg     Config
	dataDir string // absolute
	binDir  string
	runAs   *runAs // nil unless we are root
	logger  *slog.Logger
}

func newSetup(cfg Config) (*setup, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("pgserver config: data dir is empty")
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir: %w", err)
	}
	s := &setup{cfg: cfg, dataDir: dataDir, binDir: cfg.BinDir, logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.binDir == "" {
		if s.binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	if s.runAs, err = serverUser(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return nil, fmt.Errorf("create data dir parent: %w", err)
	}
	if err := s.runAs.checkTraversable(dataDir); err != nil {
		return nil, err
	}
	return s, nil
}

// passwordPath is where a durable cluster's superuser password is kept.
func (s *setup) passwordPath() string {
	return filepath.Join(filepath.Dir(s.dataDir), "postgres.password")
}

// logPath is where server output goes.
func (s *setup) logPath() string {
	return filepath.Join(filepath.Dir(s.dataDir), "postgres.log")
}

func (s *setup) init(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check data dir: %w", err)
	}
	start := time.Now()
	if s.cfg.Template != "" {
		if err := s.copyTemplate(); err != nil {
			return err
		}
		s.logger.InfoContext(ctx, "postgres data dir copied from template",
			"data_dir", s.dataDir, "template", s.cfg.Template, "duration", time.Since(start))
		return nil
	}
	if err := s.initdb(ctx); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "postgres data dir initialised", "data_dir", s.dataDir, "duration", time.Since(start))
	return nil
}

func (s *setup) initdb(ctx context.Context) error {
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	// initdb runs as the server user, which may not write the parent, so
	// the directory is created here and handed over.
	if err := s.runAs.chown(s.dataDir); err != nil {
		return err
	}
	args := []string{"-D", s.dataDir, "-U", "postgres", "-E", "UTF8", "--locale=C"}
	if s.cfg.Durable {
		if err := s.writePassword(); err != nil {
			return err
		}
		args = append(args, "--auth=scram-sha-256", "--pwfile="+s.passwordPath())
	} else {
		args = append(args, "--auth=trust", "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, "initdb"), args...)
	cmd.Dir = filepath.Dir(s.dataDir)
	cmd.SysProcAttr = sysProcAttr(s.runAs)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", s.dataDir, err, lastLines(string(out), 20))
	}
	return nil
}

// writePassword stores a new random superuser password, readable only by its
// owner: the server user, since initdb reads it as that user.
func (s *setup) writePassword() error {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("generate password: %w", err)
	}
	path := s.passwordPath()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace password file: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	return s.runAs.chown(path)
}

// readPassword returns the stored superuser password, or "" when there is
// none (a cluster that trusts local connections).
func (s *setup) readPassword() (string, error) {
	b, err := os.ReadFile(s.passwordPath())
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// copyTemplate copies the template cluster into a sibling of the data dir and
// renames it into place, so an interrupted copy never looks initialised.
func (s *setup) copyTemplate() error {
	src := s.cfg.Template
	if _, err := os.Stat(filepath.Join(src, "PG_VERSION")); err != nil {
		return fmt.Errorf("template %s holds no initialised cluster: %w", src, err)
	}
	tmp := s.dataDir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover copy: %w", err)
	}
	if err := copyTree(src, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("copy template %s: %w", src, err)
	}
	if err := s.runAs.chownTree(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, s.dataDir); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("move template copy into place: %w", err)
	}
	return nil
}

// copyTree copies directories, regular files and symlinks from src to a new
// dst, preserving permission bits. A template's lock file is left behind.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "postmaster.pid" {
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
			return os.Chmod(target, mode.Perm())
		case mode.IsRegular():
			return copyFile(path, target, mode.Perm())
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return nil // sockets and the like are recreated by the server
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Chmod(perm)
}
