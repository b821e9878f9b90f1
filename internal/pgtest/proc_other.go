//go:build !linux

package pgtest

import (
	"errors"
	"syscall"
)

// sysProcAttr: elsewhere than Linux there is no Pdeathsig (a killed test
// binary leaves its server running until Stop is never called: kill it by
// the PID in its log), and running as root is not supported.
func sysProcAttr(cred *credential, _ bool) (*syscall.SysProcAttr, error) {
	if cred != nil {
		return nil, errors.New("pgtest: running the tests as root is supported on Linux only (initdb refuses root; run them as a normal user)")
	}
	return nil, nil
}

// promptAttr: elsewhere than Linux the client keeps this process's
// terminal, if it has one; go test's usual run has none, and the prompt
// then reads stdin.
func promptAttr() *syscall.SysProcAttr { return nil }
