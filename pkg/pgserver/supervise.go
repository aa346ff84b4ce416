package pgserver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Restart says how a supervised server is restarted after it exits.
type Restart struct {
	// MinBackoff is the wait before the first restart (default 0.5s); it
	// doubles with every consecutive failure, up to MaxBackoff (default
	// 30s).
	MinBackoff, MaxBackoff time.Duration
	// MaxFailures is how many consecutive failures (an exit, or a restart
	// that did not come up) are retried (default 10); the next one makes
	// the supervisor give up.
	MaxFailures int
	// StableAfter is how long a server must stay up for its exit to start
	// a new count (default 1m).
	StableAfter time.Duration
	// OnGiveUp is called once, when the supervisor gives up: the process
	// cannot get its database back by itself.
	OnGiveUp func(error)
}

func (r Restart) withDefaults() Restart {
	if r.MinBackoff <= 0 {
		r.MinBackoff = 500 * time.Millisecond
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 30 * time.Second
	}
	r.MaxBackoff = max(r.MaxBackoff, r.MinBackoff)
	if r.MaxFailures <= 0 {
		r.MaxFailures = 10
	}
	if r.StableAfter <= 0 {
		r.StableAfter = time.Minute
	}
	if r.OnGiveUp == nil {
		r.OnGiveUp = func(error) {}
	}
	return r
}

// backoff is the wait before the restart that follows failure n (from 1).
func (r Restart) backoff(n int) time.Duration {
	d := r.MinBackoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// Supervisor keeps a server running: when postgres exits without being
// asked to (killed, crashed), it starts it again on the same port, so the
// DSN stays valid and pools reconnect by themselves.
type Supervisor struct {
	cfg     Config
	restart Restart
	logger  *slog.Logger

	// cancelWait ends the waits between restarts; cancelStart also ends
	// a start in progress, killing its server.
	cancelWait, cancelStart context.CancelFunc
	done                    chan struct{} // closed when run returns
	stopOnce                sync.Once
	stopErr                 error

	mu      sync.Mutex
	srv     *Server // the latest server, running or not
	up      bool
	gaveUp  error
	lastErr error // why the server is down
}

// Supervise starts a server as Start does and keeps it running until Stop.
// It fails when the first start fails.
func Supervise(ctx context.Context, cfg Config, restart Restart) (*Supervisor, error) {
	srv, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cfg.Port = srv.Port() // restarts keep the address the DSN names
	s := &Supervisor{cfg: cfg, restart: restart.withDefaults(), logger: srv.setup.logger,
		done: make(chan struct{}), srv: srv, up: true}
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	startCtx, cancelStart := context.WithCancel(context.WithoutCancel(ctx))
	s.cancelWait, s.cancelStart = cancelWait, cancelStart
	go s.run(waitCtx, startCtx)
	return s, nil
}

// DSN returns a postgres:// URL for database, as Server.DSN; it does not
// change across restarts.
func (s *Supervisor) DSN(database string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.DSN(database)
}

// Ready reports why postgres does not run at the moment: it is being
// restarted, or the supervisor gave up.
func (s *Supervisor) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.gaveUp != nil:
		return s.gaveUp
	case !s.up:
		return fmt.Errorf("postgres is restarting: %w", s.lastErr)
	}
	return nil
}

// Err is non-nil once the supervisor has given up.
func (s *Supervisor) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gaveUp
}

// run waits for the server to exit and restarts it with backoff, until
// waitCtx ends (Stop) or it gives up.
func (s *Supervisor) run(waitCtx, startCtx context.Context) {
	defer close(s.done)
	failures := 0
	for {
		s.mu.Lock()
		srv := s.srv
		s.mu.Unlock()
		upSince := time.Now()
		select {
		case <-srv.done:
		case <-waitCtx.Done():
			return
		}
		if waitCtx.Err() != nil {
			return // stopping: Stop ended it
		}
		if time.Since(upSince) >= s.restart.StableAfter {
			failures = 0
		}
		err := fmt.Errorf("postgres exited: %v", srv.waitErr)
		s.setDown(err)
		for {
			failures++
			if failures > s.restart.MaxFailures {
				s.giveUp(fmt.Errorf("postgres gave up after %d consecutive failures: %w", failures-1, err))
				return
			}
			delay := s.restart.backoff(failures)
			s.logger.Warn("restarting postgres", "in", delay, "attempt", failures, "max_attempts", s.restart.MaxFailures, "err", err)
			select {
			case <-time.After(delay):
			case <-waitCtx.Done():
				return
			}
			next, startErr := Start(startCtx, s.cfg)
			if startErr == nil {
				s.mu.Lock()
				s.srv, s.up, s.lastErr = next, true, nil
				s.mu.Unlock()
				if waitCtx.Err() != nil {
					return // Stop stops it
				}
				s.logger.Info("postgres restarted", "attempt", failures, "port", next.Port())
				break
			}
			if waitCtx.Err() != nil {
				return
			}
			err = fmt.Errorf("restart postgres: %w", startErr)
			s.setDown(err)
			s.logger.Error("postgres restart failed", "attempt", failures, "err", startErr)
		}
	}
}

func (s *Supervisor) setDown(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up, s.lastErr = false, err
}

func (s *Supervisor) giveUp(err error) {
	s.mu.Lock()
	s.up, s.gaveUp = false, err
	s.mu.Unlock()
	s.logger.Error("postgres cannot be brought back; giving up", "err", err)
	s.restart.OnGiveUp(err)
}

// Stop ends supervision, then stops the server as Server.Stop does. A
// restart in progress is waited for until ctx ends, then killed. Calling
// Stop again returns the same outcome.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Supervisor) stop(ctx context.Context) error {
	s.cancelWait()
	var cut error
	select {
	case <-s.done:
	case <-ctx.Done():
		cut = fmt.Errorf("stop postgres: restart in progress killed: %w", ctx.Err())
		s.cancelStart()
		<-s.done
	}
	s.cancelStart()
	s.mu.Lock()
	srv, up := s.srv, s.up
	s.mu.Unlock()
	if !up {
		return cut // nothing runs: it exited and was not restarted
	}
	return srv.Stop(ctx)
}
