package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sampleInterval is how often /proc is polled for the provider's processes.
const sampleInterval = 50 * time.Millisecond

// measurement is one Terraform command.
type measurement struct {
	N      int
	Repeat int
	Kind   kind
	Phase  phase
	Wall   time.Duration
	// TerraformCPU is the terraform process's own user+system time, read
	// from /proc/<pid>/stat after it exited and before it was reaped.
	TerraformCPU time.Duration
	// ChildrenCPU is the user+system time of the children terraform waited
	// for (cutime+cstime of the same read): its provider processes. (What
	// os/exec reports, ProcessState.UserTime+SystemTime from wait4's
	// rusage, is TerraformCPU+ChildrenCPU.)
	ChildrenCPU time.Duration
	// Provider is what polling /proc saw of the provider's processes.
	Provider providerUsage
	// HookdCPU is the CPU hookd used during the command.
	HookdCPU time.Duration
	// API is what the proxy counted.
	API counts

	exitCode int
}

// runner runs the Terraform commands of one bench run.
type runner struct {
	cfg         *config
	tfEnv       []string
	providerExe string // the provider binary, as /proc/<pid>/exe shows it
	proxy       *countingProxy
	hookdPID    int
	receiverURL string
	work        string // the temporary directory
	progress    io.Writer
}

// benchN measures one N: each repeat starts from empty and runs every
// phase, provider and floor one after the other (the floor first in even
// repeats, so that neither always runs on a cache the other warmed).
func (r *runner) benchN(ctx context.Context, n int) ([]measurement, error) {
	dirs := map[kind]string{}
	for _, k := range kinds {
		dirs[k] = filepath.Join(r.work, fmt.Sprintf("n%d", n), string(k))
		if err := os.MkdirAll(dirs[k], 0o755); err != nil {
			return nil, err
		}
		if err := r.writeConfig(dirs[k], k, n, 1); err != nil {
			return nil, err
		}
		// Unmeasured: proves the configuration and brings Terraform, the
		// provider and their files into memory.
		if _, err := r.run(ctx, dirs[k], fmt.Sprintf("n%d-%s-validate", n, k), n, 0, "validate", "-no-color"); err != nil {
			return nil, err
		}
	}
	var ms []measurement
	for rep := 1; rep <= r.cfg.repeat; rep++ {
		order := slices.Clone(kinds)
		if rep%2 == 0 {
			slices.Reverse(order)
		}
		for _, k := range order {
			if err := r.reset(ctx, dirs[k], k, n, rep); err != nil {
				return nil, err
			}
		}
		for _, ph := range phases {
			for _, k := range order {
				m, err := r.phase(ctx, dirs[k], k, ph, n, rep)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
				fmt.Fprintln(r.progress, progressLine(m))
			}
		}
	}
	return ms, nil
}

// reset destroys, unmeasured, whatever a working directory's state still
// holds, so that the repeat's apply starts from empty.
func (r *runner) reset(ctx context.Context, dir string, k kind, n, rep int) error {
	held, err := stateResources(filepath.Join(dir, "terraform.tfstate"))
	if err != nil || held == 0 {
		return err
	}
	fmt.Fprintf(r.progress, "N=%d repeat %d: %s state holds %d resources; destroying them first\n", n, rep, k, held)
	_, err = r.run(ctx, dir, fmt.Sprintf("n%d-r%d-%s-reset", n, rep, k), n, 0, phaseDestroy.terraformArgs(r.cfg.parallelism)...)
	return err
}

// stateResources counts the resources of a state file; none when there is
// no file.
func stateResources(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var st struct {
		Resources []struct {
			Instances []json.RawMessage `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	total := 0
	for _, r := range st.Resources {
		total += len(r.Instances)
	}
	return total, nil
}

func (r *runner) writeConfig(dir string, k kind, n, rev int) error {
	return os.WriteFile(filepath.Join(dir, "main.tf"), []byte(configuration(k, n, rev, r.receiverURL)), 0o644)
}

// phase runs and measures one phase and checks that it did what it should.
func (r *runner) phase(ctx context.Context, dir string, k kind, ph phase, n, rep int) (measurement, error) {
	if err := r.writeConfig(dir, k, n, ph.revision()); err != nil {
		return measurement{}, err
	}
	name := fmt.Sprintf("n%d-r%d-%s-%s", n, rep, k, ph)
	okExit := 0
	if ph == phasePlan {
		okExit = 2 // -detailed-exitcode: changes, which the check below reports
	}
	m, err := r.run(ctx, dir, name, n, okExit, ph.terraformArgs(r.cfg.parallelism)...)
	m.N, m.Repeat, m.Kind, m.Phase = n, rep, k, ph
	if err != nil {
		return m, err
	}
	log, err := os.ReadFile(r.logPath(name))
	if err != nil {
		return m, err
	}
	if ph == phasePlan && m.exitCode == 2 {
		return m, fmt.Errorf("the %s plan right after apply is not empty at N=%d (a perpetual diff?):\n%s", k, n, tail(log, 40))
	}
	if want := ph.summary(n); want != "" && !bytes.Contains(log, []byte(want)) {
		return m, fmt.Errorf("the %s %s at N=%d did not end with %q:\n%s", k, ph, n, want, tail(log, 20))
	}
	return m, nil
}

func (r *runner) logPath(name string) string {
	return filepath.Join(r.work, "logs", name+".log")
}

// run runs terraform in dir, its output in logs/<name>.log, and measures
// it. An exit status other than 0 (and okExit, when not 0) is an error.
func (r *runner) run(ctx context.Context, dir, name string, n, okExit int, args ...string) (measurement, error) {
	m := measurement{N: n}
	logPath := r.logPath(name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return m, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return m, err
	}
	defer logf.Close()
	cmd := exec.Command(r.cfg.terraform, args...)
	cmd.Dir, cmd.Env = dir, r.tfEnv
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines, Wait returns at exit
	setProcessGroup(cmd)

	hookd0, _ := procCPU(r.hookdPID)
	r.proxy.begin()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.proxy.end()
		return m, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	pid := cmd.Process.Pid
	smp := startSampler(r.providerExe, sampleInterval)
	exited := make(chan error, 1)
	go func() { exited <- waitExited(pid) }()

	tctx, cancel := context.WithTimeout(ctx, r.cfg.commandTimeout)
	defer cancel()
	var stopped error
	select {
	case err = <-exited:
	case <-tctx.Done():
		stopped = tctx.Err()
		err = interrupt(pid, exited)
	}
	m.Wall = time.Since(start)
	m.Provider = smp.finish()
	if err == nil {
		var st procStat
		if st, err = readStat(pid); err == nil {
			m.TerraformCPU, m.ChildrenCPU = ticks(st.utime+st.stime), ticks(st.cutime+st.cstime)
		}
	}
	werr := cmd.Wait()
	m.API = r.proxy.end()
	if hookd1, err := procCPU(r.hookdPID); err == nil {
		m.HookdCPU = hookd1 - hookd0
	}
	m.exitCode = cmd.ProcessState.ExitCode()
	switch {
	case ctx.Err() != nil:
		return m, ctx.Err()
	case err != nil && stopped == nil:
		return m, fmt.Errorf("measuring terraform %s: %w", args[0], err)
	case stopped != nil:
		return m, fmt.Errorf("terraform %s (N=%d) ran longer than -command-timeout %s; stopped it. The end of its output:\n%s",
			strings.Join(args, " "), n, r.cfg.commandTimeout, tailFile(logPath, 30))
	case m.exitCode != 0 && m.exitCode != okExit:
		return m, fmt.Errorf("terraform %s failed in %s (%v). The end of its output:\n%s", strings.Join(args, " "), dir, werr, tailFile(logPath, 30))
	}
	return m, nil
}

// interrupt asks Terraform to stop (SIGINT to its group: it finishes the
// operations under way and writes the state), waits 15 s for it, then kills
// the group.
func interrupt(pid int, exited <-chan error) error {
	signalGroup(pid, syscall.SIGINT)
	select {
	case err := <-exited:
		return err
	case <-time.After(15 * time.Second):
		signalGroup(pid, syscall.SIGKILL)
		return <-exited
	}
}

func tail(b []byte, lines int) string {
	s := strings.TrimRight(string(b), "\n")
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return "    " + strings.Join(parts, "\n    ")
}

func tailFile(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return tail(b, lines)
}

// progressLine is what bench prints after each measured command.
func progressLine(m measurement) string {
	s := fmt.Sprintf("N=%d repeat %d: %-8s %-7s %7.2f s  terraform CPU %6.2f s", m.N, m.Repeat, m.Kind, m.Phase, m.Wall.Seconds(), m.TerraformCPU.Seconds())
	if m.Kind == kindProvider {
		s += fmt.Sprintf("  provider CPU %6.2f s in %d processes, peak RSS %5.1f MiB, %d requests, %d catalog fetches",
			m.ChildrenCPU.Seconds(), m.Provider.Procs, mib(m.Provider.PeakRSS), total(m.API.Requests), m.API.Requests[catalogRoute])
	}
	return s
}

func total(reqs map[string]int) int {
	t := 0
	for _, v := range reqs {
		t += v
	}
	return t
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
