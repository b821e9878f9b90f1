package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errNotLinux: bench reads /proc.
var errNotLinux = errors.New("make bench needs Linux: it reads the CPU and memory of Terraform and the provider from /proc")

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux architecture Go supports (sysconf(_SC_CLK_TCK)).
const userHZ = 100

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }

// procStat is what bench reads from /proc/<pid>/stat.
type procStat struct {
	utime, stime   int64 // the process's own CPU, in ticks
	cutime, cstime int64 // CPU of the children it has waited for, in ticks
	starttime      int64 // ticks after boot: with the pid, names one process
}

// parseStat reads /proc/<pid>/stat (proc(5)). The command name, field 2,
// is in parentheses and may hold spaces and parentheses itself: fields are
// counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("no ')' in %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): field k is f[k-3].
	const utime, stime, cutime, cstime, starttime = 14, 15, 16, 17, 22
	if len(f) < starttime-2 {
		return procStat{}, fmt.Errorf("%d fields after the name, want at least %d", len(f), starttime-2)
	}
	var st procStat
	for _, p := range []struct {
		dst   *int64
		field int
	}{{&st.utime, utime}, {&st.stime, stime}, {&st.cutime, cutime}, {&st.cstime, cstime}, {&st.starttime, starttime}} {
		v, err := strconv.ParseInt(f[p.field-3], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("field %d: %w", p.field, err)
		}
		*p.dst = v
	}
	return st, nil
}

// parseVmHWM returns the VmHWM line of /proc/<pid>/status (peak resident
// set size) in bytes, 0 when there is none (a zombie has no memory).
func parseVmHWM(b []byte) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmHWM: unexpected %q", rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, sc.Err()
}

// procKey names one process: a pid can be reused, not with the same start
// time.
type procKey struct{ pid, start int64 }

// procUsage is the last sample of one process.
type procUsage struct {
	cpu int64 // utime+stime, ticks
	hwm int64 // VmHWM, bytes
}

// providerUsage sums the samples of the provider's processes during one
// Terraform command.
type providerUsage struct {
	Procs   int           // provider processes seen
	CPU     time.Duration // the sum of their last utime+stime samples
	PeakRSS int64         // the largest VmHWM sampled, bytes
}

func summarize(seen map[procKey]procUsage) providerUsage {
	var u providerUsage
	for _, s := range seen {
		u.Procs++
		u.CPU += ticks(s.cpu)
		u.PeakRSS = max(u.PeakRSS, s.hwm)
	}
	return u
}
