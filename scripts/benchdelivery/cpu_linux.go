package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// readCPU reads the machine's busy CPU time (/proc/stat, every core) and
// this process's own (user + system).
func readCPU() (cpuSnap, bool) {
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
	return cpuSnap{at: time.Now(), machineBusy: time.Duration(busy) * time.Second / clockTicks, self: self}, true
}
