package pgserver

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

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

// serverOf reports whether pid is a live process of a server on dataDir:
// postgres processes work in their data directory. A process we may not
// inspect is another user's, which postgres does not count either.
func serverOf(pid int, dataDir string) bool {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	return err == nil && sameDir(cwd, dataDir)
}

// processExists reports whether pid names any live process.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// shmAttached reports whether processes are still attached to the System V
// shared memory segment id, which a postgres server and its backends all
// are.
func shmAttached(id int) bool {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	idCol, nattchCol := -1, -1
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if idCol < 0 {
			for i, name := range fields {
				switch name {
				case "shmid":
					idCol = i
				case "nattch":
					nattchCol = i
				}
			}
			if idCol < 0 || nattchCol < 0 {
				return false
			}
			continue
		}
		if len(fields) <= max(idCol, nattchCol) || fields[idCol] != strconv.Itoa(id) {
			continue
		}
		n, err := strconv.Atoi(fields[nattchCol])
		return err == nil && n > 0
	}
	return false
}
