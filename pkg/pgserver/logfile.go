package pgserver

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLogSize is the size past which the log is rotated on start, keeping one
// previous file, so a long-lived data dir's log does not grow without end.
const maxLogSize = 10 << 20

// openLog opens the server log for appending and returns it with its size, the
// offset at which this run's output begins.
func (s *setup) openLog() (*os.File, int64, error) {
	path := s.logPath()
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogSize {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, 0, fmt.Errorf("rotate postgres log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("open postgres log: %w", err)
	}
	if err := s.runAs.chown(path); err != nil {
		f.Close()
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat postgres log: %w", err)
	}
	return f, fi.Size(), nil
}

// logSince returns what the server logged after offset.
func (s *setup) logSince(offset int64) string {
	f, err := os.Open(s.logPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return ""
	}
	return string(b)
}

// lastLines returns at most the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
