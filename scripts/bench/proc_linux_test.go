package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestWaitExitedLeavesTheZombieReadable(t *testing.T) {
	// A child that burns a little CPU in a grandchild it waits for.
	cmd := exec.Command("sh", "-c", `sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; exit 3`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitExited(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	st, err := readStat(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("the exited child's stat: %v", err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit code %d, want 3: Wait still reaps after waitExited", code)
	}
	if st.cutime+st.cstime == 0 {
		t.Errorf("stat %+v: the grandchild's CPU is not in cutime+cstime", st)
	}
	rusage := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if own := ticks(st.utime + st.stime + st.cutime + st.cstime); rusage < own-20*time.Millisecond {
		t.Errorf("rusage %s < own + children %s: the rusage should include the children", rusage, own)
	}
}

func TestSamplerSeesProcessesOfOneExecutable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		t.Fatal(err)
	}
	// This test binary, run again with no tests, sleeping in TestMain.
	child := exec.Command(self, "-test.run=^$")
	child.Env = append(os.Environ(), "BENCH_TEST_SLEEP=300ms")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	s := startSampler(self, 20*time.Millisecond)
	_ = child.Wait()
	u := s.finish()
	// This process and the child.
	if u.Procs < 2 || u.PeakRSS <= 0 {
		t.Errorf("sampled %+v, want this process and its child", u)
	}
	none := startSampler("/nonexistent/provider", 20*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if u := none.finish(); u != (providerUsage{}) {
		t.Errorf("sampled %+v for an executable nothing runs", u)
	}
}

func TestMain(m *testing.M) {
	if d, err := time.ParseDuration(os.Getenv("BENCH_TEST_SLEEP")); err == nil {
		time.Sleep(d)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
