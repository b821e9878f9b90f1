package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machineInfo describes the run: date, commit, tool versions, hardware.
func machineInfo(ctx context.Context, goCmd, terraform, src string) (machine, error) {
	m := machine{Date: time.Now().Format(time.DateOnly), NProc: runtime.NumCPU()}
	out := func(name string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = src
		b, err := cmd.Output()
		return strings.TrimSpace(string(b)), err
	}
	var err error
	if m.GoVersion, err = out(goCmd, "env", "GOVERSION"); err != nil {
		return m, fmt.Errorf("%s env GOVERSION: %w", goCmd, err)
	}
	tfJSON, err := exec.CommandContext(ctx, terraform, "version", "-json").Output()
	if err != nil {
		return m, fmt.Errorf("%s version -json: %w", terraform, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(tfJSON, &v); err != nil || v.Version == "" {
		return m, fmt.Errorf("%s version -json: no terraform_version in %q", terraform, tfJSON)
	}
	m.TerraformVersion = v.Version
	if m.Commit, err = out("git", "rev-parse", "--short", "HEAD"); err != nil {
		m.Commit = "nocommit"
	}
	if st, err := out("git", "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		m.Dirty = true
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		m.MemGiB = kb / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadAvg = loadAvg()
	return m, nil
}

// loadAvg is the first three fields of /proc/loadavg: the load averages
// over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// procField is the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
