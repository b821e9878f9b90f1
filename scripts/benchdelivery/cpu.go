package main

import (
	"context"
	"time"
)

// cpuSnap is a reading of the CPU time spent so far.
type cpuSnap struct {
	at          time.Time
	machineBusy time.Duration // every process, every core
	self        time.Duration // this process: the driver, and hookd when in-process
	hookd       time.Duration // hookd child processes (watch.hookd)
	postgres    time.Duration // the PostgreSQL server's process tree (watch.postmaster)
}

// watch names the processes besides this one whose CPU a phase reports:
// hookd run as child processes, and the PostgreSQL server. nil: none.
type watch struct {
	hookd      []int
	postmaster int // 0: no PostgreSQL
}

// cpuUse is the CPU used between two readings, in cores (1 = one core
// busy the whole time). Others is what the rest of the machine used: on a
// shared machine anything much above 0 disturbs the figures.
// Hookd and Postgres are set when the phase watched such processes; they
// are not part of Self nor of Others.
type cpuUse struct {
	Self     float64 `json:"self_cores"`
	Hookd    float64 `json:"hookd_process_cores,omitempty"`
	Postgres float64 `json:"postgres_cores,omitempty"`
	Others   float64 `json:"other_processes_cores"`
}

// cpuMeter measures a phase's CPU use; it measures nothing where readCPU
// cannot.
type cpuMeter struct {
	start cpuSnap
	watch *watch
	ok    bool
}

// startCPU starts measuring this process, the machine, and the processes
// w names (nil: none).
func startCPU(w *watch) cpuMeter {
	s, ok := readCPU(w)
	return cpuMeter{start: s, watch: w, ok: ok}
}

// stop returns the use since start (nil where it cannot be read).
func (m cpuMeter) stop() *cpuUse {
	end, ok := readCPU(m.watch)
	if !m.ok || !ok {
		return nil
	}
	secs := end.at.Sub(m.start.at).Seconds()
	if secs <= 0 {
		return nil
	}
	cores := func(a, b time.Duration) float64 { return max((b-a).Seconds()/secs, 0) }
	u := &cpuUse{
		Self: cores(m.start.self, end.self), Hookd: cores(m.start.hookd, end.hookd),
		Postgres: cores(m.start.postgres, end.postgres),
	}
	u.Others = max(cores(m.start.machineBusy, end.machineBusy)-u.Self-u.Hookd-u.Postgres, 0)
	return u
}

// waitQuiet waits, up to max, until other processes have used less than
// othersBusyCores over half a second, so that a phase starts on a quiet
// machine where one can be had. It reports whether the machine was quiet.
func waitQuiet(ctx context.Context, maxWait time.Duration) bool {
	if maxWait <= 0 {
		return true
	}
	for deadline := time.Now().Add(maxWait); ; {
		m := startCPU(nil)
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
