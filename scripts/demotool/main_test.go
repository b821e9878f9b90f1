package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// exitedPID returns the pid of a process that has already exited (this
// test binary, run with no tests).
func exitedPID(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(cmd.Process.Pid)
}

func TestRunExitCodes(t *testing.T) {
	for _, c := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, "usage: demotool"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help"}, 0, ""},
		{[]string{"receive"}, 2, "-secrets is required"},
		{[]string{"receive", "-h"}, 0, "-addr-file"},
		{[]string{"publish", "-category", "workspace", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"wait", "-receiver", "http://127.0.0.1:1", "-timeout", "1s"}, 1, "demotool wait: the receiver does not answer"},
	} {
		var out, errOut bytes.Buffer
		t.Setenv("HOOKD_ENDPOINT", "")
		code := run(c.args, strings.NewReader(""), &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.inStderr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, errOut.String(), c.code, c.inStderr)
		}
	}
}
