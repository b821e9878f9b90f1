package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// waitExited blocks until process pid has exited, without reaping it: its
// /proc/<pid>/stat then holds its final CPU times and those of the children
// it waited for, until exec.Cmd.Wait reaps it.
func waitExited(pid int) error {
	const pPID, wEXITED, wNOWAIT = 1, 0x4, 0x1000000 // <linux/wait.h>
	var info [128]byte                               // siginfo_t
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), wEXITED|wNOWAIT, 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return fmt.Errorf("waitid %d: %w", pid, e)
		}
	}
}

// sampler polls /proc for the processes whose executable is exe and keeps
// the last CPU time and VmHWM of each; a process that exits between two
// polls loses what it did after the last one.
type sampler struct {
	exe      string
	interval time.Duration

	mu   sync.Mutex
	seen map[procKey]procUsage
	stop chan struct{}
	done chan struct{}
}

func startSampler(exe string, interval time.Duration) *sampler {
	s := &sampler{exe: exe, interval: interval, seen: map[procKey]procUsage{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.scan()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops polling and sums what it saw.
func (s *sampler) finish() providerUsage {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return summarize(s.seen)
}

func (s *sampler) scan() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		// The exe link, not the command line: terraform forks before it
		// execs the provider, and the fork runs terraform's executable.
		if exe, err := os.Readlink(dir + "/exe"); err != nil || exe != s.exe {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		status, err := os.ReadFile(dir + "/status")
		if err != nil {
			continue
		}
		hwm, _ := parseVmHWM(status)
		key := procKey{int64(pid), st.starttime}
		s.mu.Lock()
		prev := s.seen[key]
		s.seen[key] = procUsage{cpu: max(prev.cpu, st.utime+st.stime), hwm: max(prev.hwm, hwm)}
		s.mu.Unlock()
	}
}

// procCPU is the CPU time process pid has used so far (its own, utime+stime).
func procCPU(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return ticks(st.utime + st.stime), nil
}

// setProcessGroup starts cmd in a process group of its own, so that a
// Ctrl-C at the terminal reaches bench only, which then stops its children
// in order (Terraform before hookd), and a signal to the group reaches
// Terraform's provider processes too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup signals the process group led by pid (or pid alone when it
// leads none).
func signalGroup(pid int, sig syscall.Signal) {
	if syscall.Kill(-pid, sig) != nil {
		_ = syscall.Kill(pid, sig)
	}
}
