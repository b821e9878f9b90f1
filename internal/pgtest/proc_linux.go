package pgtest

import "syscall"

// sysProcAttr runs the child as cred (when not nil). The server also gets
// SIGKILL when this process dies (Pdeathsig): a test binary killed by a
// timeout or ^C must not leave a postgres behind. Go sets Pdeathsig after
// switching user, so the switch does not clear it.
func sysProcAttr(cred *credential, server bool) (*syscall.SysProcAttr, error) {
	attr := &syscall.SysProcAttr{}
	if cred != nil {
		attr.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid, NoSetGroups: true}
	}
	if server {
		attr.Pdeathsig = syscall.SIGKILL
	}
	return attr, nil
}

// promptAttr runs a client whose password prompt must read stdin: in a
// session of its own it has no controlling terminal, so PostgreSQL's
// simple_prompt, which prefers /dev/tty, falls back to stdin.
func promptAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
