package main

import (
	"strings"
	"testing"
	"time"
)

func testReport(check bool) *report {
	ms := []measurement{
		measured(100, 1, phaseApply, 12*time.Second, map[string]int{"POST /v1/webhooks/account": 100, catalogRoute: 2}),
		floorMeasured(100, 1, phaseApply, 4*time.Second),
		measured(100, 1, phasePlan, 6*time.Second, map[string]int{"GET /v1/webhooks/{id}": 100}),
		floorMeasured(100, 1, phasePlan, 2*time.Second),
	}
	ms[0].TerraformCPU, ms[0].ChildrenCPU, ms[0].Provider = 3*time.Second, 5*time.Second, providerUsage{Procs: 4, CPU: 4 * time.Second, PeakRSS: 100 << 20}
	ms[0].API.Conns, ms[0].HookdCPU = 12, 300*time.Millisecond
	ms[1].TerraformCPU = 2 * time.Second
	return &report{
		Machine: machine{Date: "2026-11-30", Commit: "abc1234", GoVersion: "go1.26.8", TerraformVersion: "1.11.4",
			NProc: 2, CPUModel: "Xeon", MemGiB: 23.6, Kernel: "6.1", LoadAvg: "0.10 0.20 0.30", LoadAvgEnd: "1.00 0.50 0.40"},
		Settings: settings{Ns: []int{100}, Parallelism: 10, Repeat: 1, Check: check},
		Results:  []nResult{{N: 100, Measurements: ms}},
	}
}

func TestRenderReport(t *testing.T) {
	got := renderReport(testReport(true))
	for _, want := range []string{
		"2026-11-30, commit abc1234. N = 100 `hookd_account_webhook`",
		"`-parallelism=10`; 1 run of each phase",
		"Machine: 2 CPUs (Xeon), 23.6 GiB, Linux 6.1, load average 0.10 0.20 0.30 at the start and 1.00 0.50 0.40 at the end; go1.26.8; Terraform 1.11.4;",
		"## N = 100\n",
		"| phase | provider s | floor s | ratio | terraform CPU s (provider / floor) | provider CPU s | provider peak RSS MiB |",
		"| apply | 12.00 | 4.00 | 3.00x | 3.00 / 2.00 | 5.00 | 100.0 | 4 | POST 1.00 | 2 | 12 | 0.30 |\n",
		"| plan | 6.00 | 2.00 | 3.00x | 0.00 / 0.00 | 0.00 | 0.0 | 0 | GET 1.00 | 0 | 0 | 0.00 |\n",
		"| 100 | apply | catalog fetches | ≤1 GET /v1/webhooks/events per command | 2 (repeat 1) | **FAIL** |\n",
		"| 100 | plan | catalog fetches | no GET /v1/webhooks/events: no planned change to events | 0 | pass |\n",
		"Verdict: **FAIL**, 1 of 5 checks violated (bench exits 3).",
		"| 100 | 1 | provider | apply | 12.00 | 3.00 | 5.00 / 4.00 | 4 | 100.0 | GET /v1/webhooks/events 2, POST /v1/webhooks/account 100 | 12 | 0.30 |\n",
		"| 100 | 1 | floor | apply | 4.00 | 2.00 | 0.00 / 0.00 | 0 | 0.0 | – | 0 | 0.00 |\n",
		"## What the numbers are",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "uncommitted") {
		t.Error("a clean worktree reported as dirty")
	}
	if strings.Contains(got, "garbage collector:") {
		t.Error("a run without -gogc or -gomemlimit names GC settings")
	}
	r := testReport(true)
	r.Settings.GC = gcSettings{GOGC: "200"}
	if want := "The provider's garbage collector: GOGC=200, the provider's own GOMEMLIMIT (-gogc, -gomemlimit;"; !strings.Contains(renderReport(r), want) {
		t.Errorf("a run with -gogc: the report lacks %q", want)
	}
}

func TestRenderReportInformational(t *testing.T) {
	r := testReport(false)
	r.Machine.Dirty = true
	got := renderReport(r)
	for _, want := range []string{
		"commit abc1234 with uncommitted changes.",
		"checks informational (-check=false)",
		"Verdict: **FAIL**, 1 of 5 checks violated; informational in this run (-check=false), the exit status ignores it.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestRenderReportPass(t *testing.T) {
	r := testReport(true)
	r.Results[0].Measurements[0].API.Requests[catalogRoute] = 1
	if got := renderReport(r); !strings.Contains(got, "Verdict: **PASS**, all 5 checks hold.") {
		t.Errorf("no pass verdict:\n%s", got)
	}
	if v := r.violations(); len(v) != 0 {
		t.Errorf("violations = %+v", v)
	}
}

func TestReportName(t *testing.T) {
	if got := reportName("2026-11-30", "abc1234"); got != "2026-11-30-abc1234.md" {
		t.Errorf("got %q", got)
	}
}
