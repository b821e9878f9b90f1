package main

import (
	"context"
	"time"
)

// cpuSnap is a reading of the CPU time spent so far.
type cpuSnap struct {
	at          time.Time
	machineBusy time.Duration // every process, every core
	self        time.Duration // this process: hookd and the driver
}

// cpuUse is the CPU used between two readings, in cores (1 = one core
// busy the whole time). Others is what the rest of the machine used: on a
// shared machine anything much above 0 disturbs the figures.
type cpuUse struct {
	Self   float64 `json:"self_cores"`
	Others float64 `json:"other_processes_cores"`
}

// cpuMeter measures a phase's CPU use; it measures nothing where readCPU
// cannot.
type cpuMeter struct {
	start cpuSnap
	ok    bool
}

func startCPU() cpuMeter {
	s, ok := readCPU()
	return cpuMeter{start: s, ok: ok}
}

// stop returns the use since start (nil where it cannot be read).
func (m cpuMeter) stop() *cpuUse {
	end, ok := readCPU()
	if !m.ok || !ok {
		return nil
	}
	secs := end.at.Sub(m.start.at).Seconds()
	if secs <= 0 {
		return nil
	}
	self := (end.self - m.start.self).Seconds() / secs
	all := (end.machineBusy - m.start.machineBusy).Seconds() / secs
	return &cpuUse{Self: self, Others: max(all-self, 0)}
}

// waitQuiet waits, up to max, until other processes have used less than
// othersBusyCores over half a second, so that a phase starts on a quiet
// machine where one can be had. It reports whether the machine was quiet.
func waitQuiet(ctx context.Context, maxWait time.Duration) bool {
	if maxWait <= 0 {
		return true
	}
	for deadline := time.Now().Add(maxWait); ; {
		m := startCPU()
		sleepUntil(ctx, time.Now().Add(500*time.Millisecond))
		use := m.stop()
		if use == nil || use.Others < othersBusyCores {
			return true
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			return false
		}
	}
}
