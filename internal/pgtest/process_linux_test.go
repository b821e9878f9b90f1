package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processGone reports whether pid no longer runs: no such process, or a
// zombie nobody has reaped yet (a container's PID 1 may never reap).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres (pid %d) still running %s later", pid, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopRemovesDirAndEndsProcess(t *testing.T) {
	s := startServer(t)
	pid, dir := s.PID(), s.Dir()
	if processGone(pid) {
		t.Fatalf("postgres (pid %d) not running after Start", pid)
	}
	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop took %s", time.Since(begin).Round(time.Millisecond))
	if !processGone(pid) {
		t.Errorf("postgres (pid %d) still running after Stop", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stop left %s: %v", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop again: %v", err)
	}
}

// The helper below is this test binary run again, started by
// TestKilledTestBinaryLeavesNoServer: it starts a server, says its PID and
// directory, and waits to be killed.
const helperEnv = "PGTEST_HELPER_START_AND_WAIT"

func TestHelperStartAndWait(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process of TestKilledTestBinaryLeavesNoServer")
	}
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("server %d %s\n", s.PID(), s.Dir())
	time.Sleep(time.Minute) // killed long before
}

func TestKilledTestBinaryLeavesNoServer(t *testing.T) {
	if _, err := Binaries(); err != nil && os.Getenv(EnvRequire) != "1" {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartAndWait$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if _, err := fmt.Sscanf(lines.Text(), "server %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the helper did not report a server: %v", lines.Err())
	}
	t.Cleanup(func() {
		// The killed helper could not clean up; and should the server have
		// outlived it (the failure this test catches), end it by its PID.
		if !processGone(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	})
	if processGone(pid) {
		t.Fatalf("postgres (pid %d) not running while its test binary is", pid)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pid, 5*time.Second)
}
