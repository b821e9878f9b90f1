package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goalRun is a W's results with the figures the goals read.
func goalRun(w int, drained, p99 float64, missing int) wResult {
	r := wResult{Webhooks: w}
	r.Saturation.DrainedPerSec, r.Saturation.DrainIntervals, r.Saturation.DeliveredPerSec = drained, 3, drained/2
	r.Fixed.FirstAttempt = latency{N: 400, Missing: missing, P50MS: 1, P99MS: p99, MaxMS: min(p99, 812)}
	return r
}

// goalResults: a ceiling of 28,000 requests/s; W=10 drains 7,000/s (0.25,
// on the line: met) with a p99 of 49.9 ms (met); W=100 drains 6,972/s
// (0.249: missed) and its p99 is among deliveries never attempted.
func goalResults() *results {
	return &results{Rate: 100, Workers: 128,
		Runs:    []wResult{goalRun(1, 100, 900, 0), goalRun(10, 7000, 49.9, 0), goalRun(100, 6972, math.Inf(1), 40)},
		Ceiling: ceilingResult{Concurrency: 128, RequestsPerS: 28000}}
}

func verdicts(goals []goalResult) map[string]verdict {
	out := map[string]verdict{}
	for _, g := range goals {
		out[g.Goal+" W="+strconv.Itoa(g.Webhooks)] = g.Verdict
	}
	return out
}

func TestGoalsJudged(t *testing.T) {
	goals := judgeGoals(&config{}, goalResults())
	want := map[string]verdict{
		goalThroughput + " W=10": verdictPass, goalFirstAttempt + " W=10": verdictPass,
		goalThroughput + " W=100": verdictMiss, goalFirstAttempt + " W=100": verdictMiss,
	}
	if got := verdicts(goals); !maps.Equal(got, want) {
		t.Errorf("verdicts %v, want %v (W=1 is no goal's)", got, want)
	}
	for _, g := range goals {
		switch {
		case g.Goal == goalThroughput && g.Webhooks == 10 && !strings.HasPrefix(g.Observed, "0.250 draining (7,000 deliveries/s against 28,000 requests/s); saturation 0.125 (3,500/s)"):
			t.Errorf("W=10 throughput observed %q", g.Observed)
		case g.Goal == goalFirstAttempt && g.Webhooks == 100 && g.Observed != "> 812 ms (40 of 440 deliveries not attempted in time)":
			t.Errorf("W=100 first attempt observed %q", g.Observed)
		}
	}
	if m := missed(goals); len(m) != 2 {
		t.Errorf("missed %v", m)
	}

	// 50 ms is not under 50 ms; a faster W=100 meets the ratio.
	res := goalResults()
	res.Runs[1].Fixed.FirstAttempt.P99MS = 50
	res.Runs[2].Saturation.DrainedPerSec = 7001
	got := verdicts(judgeGoals(&config{}, res))
	if got[goalFirstAttempt+" W=10"] != verdictMiss || got[goalThroughput+" W=100"] != verdictPass {
		t.Errorf("on the lines: %v", got)
	}
}

// A goal the run did not measure is not judged, and not missed.
func TestGoalsNotMeasured(t *testing.T) {
	res := goalResults()
	res.Runs = res.Runs[:2] // -webhooks 1,10
	res.Rate = 50
	res.Runs[1].Saturation.DrainIntervals = 0
	goals := judgeGoals(&config{}, res)
	for _, g := range goals {
		if g.Verdict != verdictNotJudged || g.Why == "" {
			t.Errorf("%s W=%d: %s (%q)", g.Goal, g.Webhooks, g.Verdict, g.Why)
		}
	}
	if !strings.Contains(goals[0].Why, "no draining interval") || !strings.Contains(goals[1].Why, "-rate 50") || !strings.Contains(goals[2].Why, "W=100 not in -webhooks") {
		t.Errorf("why: %+v", goals)
	}
	res = goalResults()
	res.Ceiling.RequestsPerS = 0
	if g := judgeGoals(&config{}, res)[0]; g.Verdict != verdictNotJudged || g.Why != "no ceiling measured" {
		t.Errorf("no ceiling: %+v", g)
	}
}

// -quick judges nothing, whatever the figures, and still shows them.
func TestGoalsNotJudgedQuick(t *testing.T) {
	for _, g := range judgeGoals(&config{quick: true}, goalResults()) {
		if g.Verdict != verdictNotJudged || g.Why != quickWhy || g.Observed == "–" {
			t.Errorf("-quick: %+v", g)
		}
	}
}

func TestGoalsDisturbed(t *testing.T) {
	res := goalResults()
	res.Runs[1].Saturation.DrainCPU = &cpuUse{Self: 1.5, Others: 0.6}
	res.Runs[1].Fixed.CPU = &cpuUse{Self: 0.3, Others: 0.1}
	res.Ceiling.CPU = &cpuUse{Self: 1.9, Others: 0.3}
	goals := judgeGoals(&config{}, res)
	if o := goals[0].Observed; !strings.HasSuffix(o, "; disturbed, other processes used: draining 0.60 cores, the ceiling 0.30 cores") {
		t.Errorf("throughput W=10: %q", o)
	}
	if o := goals[1].Observed; strings.Contains(o, "disturbed") {
		t.Errorf("first attempt W=10, quiet: %q", o)
	}
}

// finish: the exit status and the report's verdict follow the goals
// missed, -check and -quick; -json carries the goals.
func TestFinishExitStatus(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  config
		res  func() *results
		rc   int
		say  string
	}{
		{"missed", config{check: true}, goalResults, exitGoalMissed, "Verdict: **MISS**, 2 of 4 goals missed (benchdelivery exits 3)."},
		{"missed, -check=false", config{}, goalResults, 0, "Verdict: **MISS**, 2 of 4 goals missed; informational in this run (-check=false)"},
		{"-quick", config{check: true, quick: true}, goalResults, 0, "Goals are judged only in full runs"},
		{"met", config{check: true}, func() *results {
			res := goalResults()
			res.Runs[2] = goalRun(100, 7500, 20, 0)
			return res
		}, 0, "Verdict: **PASS**, 4 of 4 goals met."},
		{"met, W=100 not measured", config{check: true}, func() *results {
			res := goalResults()
			res.Runs = res.Runs[:2]
			return res
		}, 0, "Verdict: **PASS**, 2 of 4 goals met, 2 not judged."},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.jsonOut = filepath.Join(t.TempDir(), "out.json")
			var stdout, stderr bytes.Buffer
			if rc := finish(&c.cfg, c.res(), &stdout, &stderr); rc != c.rc {
				t.Errorf("exit %d, want %d; stderr %s", rc, c.rc, stderr.String())
			}
			if !strings.Contains(stdout.String(), "Goals (issue 13 §4)") || !strings.Contains(stdout.String(), c.say) {
				t.Errorf("report lacks %q:\n%s", c.say, stdout.String())
			}
			raw, err := os.ReadFile(c.cfg.jsonOut)
			if err != nil {
				t.Fatal(err)
			}
			var back results
			if err := json.Unmarshal(raw, &back); err != nil || len(back.Goals) != 4 {
				t.Errorf("json goals: %v, %+v", err, back.Goals)
			}
		})
	}
}
