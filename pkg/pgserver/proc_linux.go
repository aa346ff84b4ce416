package pgserver

import "syscall"

// sysProcAttr runs a child in its own process group, so a Ctrl-C meant for
// us does not stop Postgres before we have drained, and as r when root.
// Pdeathsig asks for a fast shutdown if we die without stopping it; the
// kernel sets it after the credential change, which would otherwise clear it.
func sysProcAttr(r *runAs) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
	if r != nil {
		attr.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.gid)}
	}
	return attr
}
