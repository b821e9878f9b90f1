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
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/faultproxy"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// retryLine is what the client logs (at debug level, through tflog) each
// time it decides to retry a call.
const retryLine = "hookd API call failed; retrying"

// scenario runs Terraform against the proxy.
type scenario struct {
	cfg       *config
	terraform string
	work      string
	env       []string
	hookd     *hookdproc.Hookd
	proxy     *faultproxy.Proxy
	progress  io.Writer
}

// result is what one scenario found.
type result struct {
	Name  string
	N     int
	Crash bool

	Apply, Plan, Destroy             time.Duration
	ApplyExit, PlanExit, DestroyExit int
	// Errors are the ends of the output of the commands that failed.
	Errors []string

	Requests int
	Faults   map[faultproxy.Kind]int
	// Retries are the requests that repeated a faulted one, at the proxy;
	// ClientRetries the retries the provider's client decided (its debug
	// log). Go's transport re-sends by itself a GET, or a POST with an
	// Idempotency-Key, whose reused connection dropped before any answer.
	Retries, ClientRetries int
	Unreachable            int

	// Kills are how many webhooks hookd held each time it was killed;
	// WantKills how many kills there should have been.
	Kills     []int
	WantKills int
	Downtime  time.Duration

	OnServer, InState   int
	Duplicates, Orphans int // Orphans: on hookd, not in the state (after apply, then after destroy)
	Missing             int // in the state, not on hookd
	LeftAfterDestroy    int
}

func (r *result) ok() bool { return r.verdict() == "" }

// verdict says what is wrong, "" when nothing is.
func (r *result) verdict() string {
	var bad []string
	if r.ApplyExit != 0 || r.DestroyExit != 0 {
		bad = append(bad, fmt.Sprintf("apply exited %d, destroy %d, want 0", r.ApplyExit, r.DestroyExit))
	}
	if r.PlanExit != 0 {
		bad = append(bad, fmt.Sprintf("the plan after apply exited %d, want 0 (no changes)", r.PlanExit))
	}
	if r.OnServer != r.N || r.InState != r.N {
		bad = append(bad, fmt.Sprintf("%d webhooks on hookd and %d in the state, want %d", r.OnServer, r.InState, r.N))
	}
	if r.Duplicates != 0 || r.Orphans != 0 || r.Missing != 0 {
		bad = append(bad, fmt.Sprintf("%d duplicates, %d orphans, %d missing, want none", r.Duplicates, r.Orphans, r.Missing))
	}
	if r.LeftAfterDestroy != 0 {
		bad = append(bad, fmt.Sprintf("%d webhooks left on hookd after destroy, want 0", r.LeftAfterDestroy))
	}
	if r.Crash && len(r.Kills) < r.WantKills {
		bad = append(bad, fmt.Sprintf("hookd was killed %d times during the apply, want %d (the apply finished first)", len(r.Kills), r.WantKills))
	}
	if len(bad) == 0 {
		return ""
	}
	return r.Name + ": " + strings.Join(bad, "; ")
}

func (r *result) String() string {
	var b strings.Builder
	total := 0
	var kinds []string
	for _, k := range faultproxy.Kinds {
		total += r.Faults[k]
		kinds = append(kinds, fmt.Sprintf("%s %d", k, r.Faults[k]))
	}
	fmt.Fprintf(&b, "== %s: %d hookd_account_webhook\n", r.Name, r.N)
	fmt.Fprintf(&b, "   apply %.1f s (exit %d), plan %.1f s (exit %d), destroy %.1f s (exit %d)\n",
		r.Apply.Seconds(), r.ApplyExit, r.Plan.Seconds(), r.PlanExit, r.Destroy.Seconds(), r.DestroyExit)
	fmt.Fprintf(&b, "   requests through the proxy: %d; faults injected: %d (%s)\n", r.Requests, total, strings.Join(kinds, ", "))
	fmt.Fprintf(&b, "   retries made: %d requests repeated a failed one (%d decided by the provider's client, the rest re-sent by Go's HTTP transport after a dropped connection)\n", r.Retries, r.ClientRetries)
	if r.Crash {
		fmt.Fprintf(&b, "   hookd killed (SIGKILL) %d times during the apply, with %v webhooks stored, and restarted on the same database (down %.1f s in all; %d requests found it down: 502)\n",
			len(r.Kills), r.Kills, r.Downtime.Seconds(), r.Unreachable)
	}
	fmt.Fprintf(&b, "   after apply: %d webhooks on hookd, %d in the state; duplicates %d, orphans %d, missing %d\n",
		r.OnServer, r.InState, r.Duplicates, r.Orphans, r.Missing)
	fmt.Fprintf(&b, "   after destroy: %d webhooks left on hookd (orphans)\n", r.LeftAfterDestroy)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "   %s\n", e)
	}
	if v := r.verdict(); v != "" {
		fmt.Fprintf(&b, "   FAIL: %s\n", v)
	} else {
		fmt.Fprintf(&b, "   ok\n")
	}
	return b.String()
}

// run applies, plans and destroys N webhooks through the proxy, killing
// and restarting hookd during the apply when crash is set.
func (s *scenario) run(ctx context.Context, crash bool) (*result, error) {
	name := "faults"
	if crash {
		name = "crash"
	}
	r := &result{Name: name, N: s.cfg.n, Crash: crash}
	if crash {
		r.WantKills = s.cfg.kills
	}
	dir := filepath.Join(s.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(configuration(name, s.cfg.n, s.cfg.maxRetries)), 0o644); err != nil {
		return nil, err
	}
	before := s.proxy.Stats()
	defer func() {
		after := s.proxy.Stats()
		r.Requests = after.Requests - before.Requests
		r.Retries = after.Retries - before.Retries
		r.Unreachable = after.Unreachable - before.Unreachable
		r.Faults = map[faultproxy.Kind]int{}
		for k, n := range after.Faults {
			r.Faults[k] = n - before.Faults[k]
		}
	}()
	direct, err := client.New("http://"+s.hookd.Addr, s.hookd.APIKey,
		client.WithRetryPolicy(client.RetryPolicy{MaxRetries: 10, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxRetryAfter: time.Second}))
	if err != nil {
		return nil, err
	}

	// Every step runs even when the one before failed: what a failed apply
	// leaves on hookd (orphans) is what this run is about.
	par := fmt.Sprintf("-parallelism=%d", s.cfg.parallelism)
	fmt.Fprintf(s.progress, "chaos: %s: terraform apply of %d webhooks\n", name, s.cfg.n)
	applied := make(chan struct{})
	killed := make(chan struct{})
	if crash {
		go s.killDuringApply(ctx, direct, r, applied, killed)
	} else {
		close(killed)
	}
	r.Apply, r.ApplyExit, err = s.terraformCmd(ctx, dir, name+"-apply", r, "apply", "-auto-approve", "-input=false", "-no-color", par)
	close(applied)
	<-killed
	if err != nil {
		return r, err
	}
	if r.ApplyExit != 0 {
		r.Errors = append(r.Errors, s.failed(name+"-apply", r.ApplyExit))
	}
	fmt.Fprintf(s.progress, "chaos: %s: apply exited %d after %.1f s; terraform plan\n", name, r.ApplyExit, r.Apply.Seconds())
	if r.Plan, r.PlanExit, err = s.terraformCmd(ctx, dir, name+"-plan", r, "plan", "-detailed-exitcode", "-input=false", "-no-color", par); err != nil {
		return r, err
	}
	if r.PlanExit == 1 {
		r.Errors = append(r.Errors, s.failed(name+"-plan", r.PlanExit))
	}
	if err := s.count(ctx, direct, dir, name, r); err != nil {
		return r, err
	}
	fmt.Fprintf(s.progress, "chaos: %s: %d webhooks on hookd, %d in the state; terraform destroy\n", name, r.OnServer, r.InState)
	if r.Destroy, r.DestroyExit, err = s.terraformCmd(ctx, dir, name+"-destroy", r, "destroy", "-auto-approve", "-input=false", "-no-color", par); err != nil {
		return r, err
	}
	if r.DestroyExit != 0 {
		r.Errors = append(r.Errors, s.failed(name+"-destroy", r.DestroyExit))
	}
	left, err := listWebhooks(ctx, direct, name)
	if err != nil {
		return r, err
	}
	r.LeftAfterDestroy = len(left)
	return r, nil
}

// killDuringApply kills hookd (SIGKILL) each time it holds another share
// of the webhooks (a quarter, a half, three quarters for 3 kills) and
// restarts it on the same database and port; it closes done when the kills
// are over, or when the apply ended first.
func (s *scenario) killDuringApply(ctx context.Context, direct *client.Client, r *result, applied <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for i := 1; i <= s.cfg.kills; i++ {
		at := s.cfg.n * i / (s.cfg.kills + 1)
		for {
			hooks, err := listWebhooks(ctx, direct, r.Name)
			if err == nil && len(hooks) >= at {
				r.Kills = append(r.Kills, len(hooks))
				break
			}
			select {
			case <-applied:
				return
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		start := time.Now()
		s.hookd.Kill()
		if err := s.hookd.Start(ctx); err != nil {
			fmt.Fprintf(s.progress, "chaos: restarting hookd: %v\n", err)
			return
		}
		r.Downtime += time.Since(start)
		fmt.Fprintf(s.progress, "chaos: crash: killed hookd with %d webhooks stored; restarted it (pid %d) %.1f s later\n",
			r.Kills[len(r.Kills)-1], s.hookd.PID(), time.Since(start).Seconds())
	}
}

// count compares what hookd holds with the state.
func (s *scenario) count(ctx context.Context, direct *client.Client, dir, name string, r *result) error {
	onServer, err := listWebhooks(ctx, direct, name)
	if err != nil {
		return err
	}
	inState, err := stateIDs(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		return err
	}
	r.OnServer, r.InState = len(onServer), len(inState)
	names := map[string]int{}
	ids := map[string]bool{}
	for _, w := range onServer {
		ids[w.ID] = true
		if w.Name != nil {
			names[*w.Name]++
		}
		if !inState[w.ID] {
			r.Orphans++
		}
	}
	for _, n := range names {
		r.Duplicates += n - 1
	}
	for id := range inState {
		if !ids[id] {
			r.Missing++
		}
	}
	return nil
}

// listWebhooks lists, straight from hookd, the webhooks of scenario name
// (named <name>-NNN).
func listWebhooks(ctx context.Context, c *client.Client, name string) ([]client.Webhook, error) {
	var out []client.Webhook
	for w, err := range c.AllWebhooks(ctx, client.WebhookListOptions{}) {
		if err != nil {
			return nil, err
		}
		if w.Name != nil && strings.HasPrefix(*w.Name, name+"-") {
			out = append(out, w)
		}
	}
	return out, nil
}

// stateIDs are the ids of the hookd_account_webhook of a state file.
func stateIDs(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := map[string]bool{}
	for _, res := range st.Resources {
		if res.Type != "hookd_account_webhook" {
			continue
		}
		for _, in := range res.Instances {
			ids[in.Attributes.ID] = true
		}
	}
	return ids, nil
}

// terraformCmd runs terraform in dir with its output in logs/<name>.log
// and the provider's debug log in logs/<name>.tflog, whose retry lines it
// adds to r.ClientRetries. It returns the wall time and the exit status.
func (s *scenario) terraformCmd(ctx context.Context, dir, name string, r *result, args ...string) (time.Duration, int, error) {
	logs := filepath.Join(s.work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return 0, 0, err
	}
	out, err := os.Create(filepath.Join(logs, name+".log"))
	if err != nil {
		return 0, 0, err
	}
	defer out.Close()
	tflog := filepath.Join(logs, name+".tflog")
	cmd := exec.CommandContext(ctx, s.terraform, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), s.env...), "TF_LOG_PROVIDER=DEBUG", "TF_LOG_PATH="+tflog)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 15 * time.Second
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if b, rerr := os.ReadFile(tflog); rerr == nil {
		r.ClientRetries += bytes.Count(b, []byte(retryLine))
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return wall, exitErr.ExitCode(), nil
	}
	return wall, 0, err
}

// failed is the end of the output of a Terraform command that failed:
// its error diagnostics, one line each.
func (s *scenario) failed(name string, exit int) string {
	b, _ := os.ReadFile(filepath.Join(s.work, "logs", name+".log"))
	var errs []string
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "Error: ") {
			detail := ""
			for _, l := range lines[i+1:] {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "with ") && !strings.HasPrefix(l, "on ") && !strings.Contains(l, ": resource ") {
					detail = l
					break
				}
			}
			errs = append(errs, strings.TrimPrefix(line, "Error: ")+": "+detail)
		}
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Sprintf("and %d more", len(errs)-5))
	}
	return fmt.Sprintf("terraform %s exited %d, %d error(s): %s", name, exit, len(errs), strings.Join(errs, " | "))
}

// configuration is main.tf: n webhooks named <name>-NNN; the endpoint and
// API key come from HOOKD_ENDPOINT and HOOKD_API_KEY. A negative
// maxRetries leaves max_retries out: the provider's default is tested.
func configuration(name string, n, maxRetries int) string {
	var b strings.Builder
	b.WriteString(`terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

provider "hookd" {
`)
	if maxRetries >= 0 {
		fmt.Fprintf(&b, "  max_retries = %d\n", maxRetries)
	}
	b.WriteString("}\n")
	for i := range n {
		fmt.Fprintf(&b, `
resource "hookd_account_webhook" "w%03d" {
  name   = "%s-%03d"
  url    = "http://127.0.0.1:9/hooks/%03d"
  events = ["transfer.created"]
}
`, i, name, i, i)
	}
	return b.String()
}
