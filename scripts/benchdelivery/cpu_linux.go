package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// readCPU reads the machine's busy CPU time (/proc/stat, every core), this
// process's own (user + system), and that of the processes w names.
func readCPU(w *watch) (cpuSnap, bool) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSnap{}, false
	}
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	fields := bytes.Fields(line)
	if len(fields) < 9 || string(fields[0]) != "cpu" {
		return cpuSnap{}, false
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal: all but idle and
	// iowait are work.
	for i, f := range fields[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return cpuSnap{}, false
		}
		busy += n
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSnap{}, false
	}
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	s := cpuSnap{at: time.Now(), machineBusy: ticks(busy), self: self}
	if w != nil {
		for _, pid := range w.hookd {
			if st, ok := readStat(pid); ok {
				s.hookd += ticks(st.utime + st.stime)
			}
		}
		if w.postmaster != 0 {
			s.postgres = ticks(treeTicks(w.postmaster))
		}
	}
	return s, true
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// procStat is what readStat takes from /proc/<pid>/stat, in clock ticks.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime uint64
}

// readStat reads /proc/<pid>/stat (false when the process is gone).
func readStat(pid int) (procStat, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name, in parentheses, may hold spaces: fields start after
	// the last ')'. Then: state(3) ppid(4) ... utime(14) stime(15)
	// cutime(16) cstime(17).
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 15 {
		return procStat{}, false
	}
	var st procStat
	var err1 error
	st.ppid, err1 = strconv.Atoi(f[1])
	nums := make([]uint64, 4)
	for k := range nums {
		n, err := strconv.ParseUint(f[11+k], 10, 64)
		if err != nil || err1 != nil {
			return procStat{}, false
		}
		nums[k] = n
	}
	st.utime, st.stime, st.cutime, st.cstime = nums[0], nums[1], nums[2], nums[3]
	return st, true
}

// treeTicks is the CPU time of the PostgreSQL server: the postmaster's
// own, that of its children that have exited and been reaped (cutime,
// cstime: a backend whose connection closed in the middle of a phase still
// counts), and that of its live children (backends, checkpointer, WAL
// writer...). The sum only grows, so the difference of two readings is the
// server's CPU in between.
func treeTicks(postmaster int) uint64 {
	st, ok := readStat(postmaster)
	if !ok {
		return 0
	}
	total := st.utime + st.stime + st.cutime + st.cstime
	for _, pid := range children(postmaster) {
		if c, ok := readStat(pid); ok && c.ppid == postmaster {
			total += c.utime + c.stime + c.cutime + c.cstime
		}
	}
	return total
}

// children lists pid's child processes: /proc/<pid>/task/*/children where
// the kernel has it, else a scan of /proc for that parent.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(raw)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	if len(tasks) > 0 {
		return out
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(n); ok && st.ppid == pid {
			out = append(out, n)
		}
	}
	return out
}
