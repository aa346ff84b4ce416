//go:build !linux

package pgserver

import "syscall"

// sysProcAttr runs a child in its own process group, so a Ctrl-C meant for
// us does not stop Postgres before we have drained, and as r when root.
// Outside Linux there is no parent-death signal: a crashed parent leaves
// Postgres running until it is stopped, and a later start on the same data
// dir reports the running server.
func sysProcAttr(r *runAs) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if r != nil {
		attr.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.gid)}
	}
	return attr
}

// serverOf reports whether pid is live; outside Linux it cannot tell whose
// process it is, and takes it for a server on the data dir.
func serverOf(pid int, _ string) bool { return processExists(pid) }

// processExists reports whether pid names any live process.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// shmAttached cannot tell outside Linux; postgres itself checks, and
// explains, at start.
func shmAttached(int) bool { return false }
