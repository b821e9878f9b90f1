package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// testProfile is a CPU profile with one sample per stack (frames leaf
// first), each of the CPU given.
func testProfile(stacks [][]string, cpu []time.Duration) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     int64(10 * time.Millisecond),
	}
	funcs := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for i, stack := range stacks {
		s := &profile.Sample{Value: []int64{int64(cpu[i] / (10 * time.Millisecond)), int64(cpu[i])}}
		for _, name := range stack {
			loc, ok := locs[name]
			if !ok {
				fn := &profile.Function{ID: uint64(len(funcs) + 1), Name: name}
				funcs[name] = fn
				p.Function = append(p.Function, fn)
				loc = &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: fn}}}
				locs[name] = loc
				p.Location = append(p.Location, loc)
			}
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

const (
	grpcRoot = "google.golang.org/grpc.(*Server).handleStream"
	readRPC  = rpcPrefix + "ReadResource"
	planRPC  = rpcPrefix + "PlanResourceChange"
)

func TestBreakDown(t *testing.T) {
	ms := time.Millisecond
	p := testProfile([][]string{
		// Reflection under the provider's Read: the provider called it.
		{"runtime.mallocgc", fw + "internal/reflect.Into", ours + "provider.(*webhookResource).Read", fw + "internal/fwserver.(*Server).ReadResource", readRPC, grpcRoot},
		{"runtime.gcBgMarkWorker"},
		{"syscall.Syscall", "net/http.(*Client).Do", ours + "client.(*Client).GetWebhook", ours + "provider.(*webhookResource).Read", readRPC, grpcRoot},
		{tftypes + "transformUnderlying", tftypes + "Transform", fw + "internal/fwserver.SchemaModifyPlan", fw + "internal/fwserver.(*Server).PlanResourceChange", planRPC, grpcRoot},
		{ours + "provider.webhookFromAPI", ours + "provider.(*webhookResource).Read", readRPC, grpcRoot},
		{"google.golang.org/protobuf/proto.Marshal", grpcRoot},
		{fw + "internal/fromproto6.DynamicValue", planRPC, grpcRoot},
	}, []time.Duration{30 * ms, 10 * ms, 20 * ms, 40 * ms, 5 * ms, 7 * ms, 8 * ms})

	got := breakDown(p)
	if got.Total != 120*ms {
		t.Errorf("Total = %s, want 120ms", got.Total)
	}
	// GC, HTTP, provider, framework: reflection, walks, values; the rest.
	want := []time.Duration{10 * ms, 20 * ms, 35 * ms, 0, 40 * ms, 8 * ms, 7 * ms}
	for i, c := range cpuCategories {
		if got.Categories[i] != want[i] {
			t.Errorf("%s: %s, want %s", c.Name, got.Categories[i], want[i])
		}
	}
	wantRPCs := []funcCPU{{"ReadResource", 55 * ms}, {"PlanResourceChange", 48 * ms}, {outsideRPC, 17 * ms}}
	if len(got.RPCs) != len(wantRPCs) {
		t.Fatalf("RPCs = %v, want %v", got.RPCs, wantRPCs)
	}
	for i := range wantRPCs {
		if got.RPCs[i] != wantRPCs[i] {
			t.Errorf("RPCs[%d] = %v, want %v", i, got.RPCs[i], wantRPCs[i])
		}
	}
	// Cumulative: Read is under three samples; unexported helpers and
	// the RPC entry points are not listed.
	wantTop := []funcCPU{
		{ours + "provider.(*webhookResource).Read", 55 * ms},
		{fw + "internal/fwserver.SchemaModifyPlan", 40 * ms},
		{tftypes + "Transform", 40 * ms},
		{fw + "internal/reflect.Into", 30 * ms},
		{ours + "client.(*Client).GetWebhook", 20 * ms},
		{fw + "internal/fromproto6.DynamicValue", 8 * ms},
	}
	if len(got.Top) != len(wantTop) {
		t.Fatalf("Top = %v, want %v", got.Top, wantTop)
	}
	for i := range wantTop {
		if got.Top[i] != wantTop[i] {
			t.Errorf("Top[%d] = %v, want %v", i, got.Top[i], wantTop[i])
		}
	}
}

// A sample is the provider's when any frame of the provider's package is
// on its stack, whatever the leaf: the framework or tftypes work a
// provider function called is the provider's cost (it could call less);
// the framework's rows hold only what the framework does on its own. The
// RPC's entry and internal/protoserver, under every RPC, do not make a
// sample the provider's.
func TestCategorizeByTheProvidersCalls(t *testing.T) {
	modifyPlan := fw + "internal/fwserver.(*Server).PlanResourceChange"
	wrap := ours + "protoserver.(*server).PlanResourceChange"
	for _, tc := range []struct {
		name   string
		frames []string // leaf first
		want   string   // the category's name starts so
	}{
		{"a path read of checkEvents", []string{
			tftypes + "walkAttributePath", tftypes + "WalkAttributePath", fw + "internal/fwschemadata.Data.ValueAtPath", fw + "tfsdk.Plan.GetAttribute",
			ours + "provider.(*webhookResource).checkEvents", ours + "provider.(*webhookResource).ModifyPlan", modifyPlan, wrap, planRPC, grpcRoot,
		}, "the provider's code"},
		{"the codec's schema type", []string{
			"runtime.mallocgc", fw + "resource/schema.Schema.Type", ours + "provider.schemaType", ours + "provider.getState",
			ours + "provider.(*webhookResource).Read", fw + "internal/fwserver.(*Server).ReadResource", readRPC, grpcRoot,
		}, "the provider's code"},
		{"a plan modifier's read, called by the framework", []string{
			tftypes + "Walk", fw + "tfsdk.Config.GetAttribute", ours + "provider.authTokenSetFromConfig.PlanModifyBool",
			fw + "internal/fwschemadata.SchemaModifyPlan", modifyPlan, wrap, planRPC, grpcRoot,
		}, "the provider's code"},
		{"the framework's own walk", []string{
			tftypes + "transformUnderlying", tftypes + "Transform", fw + "internal/fwserver.SchemaModifyPlan", modifyPlan, wrap, planRPC, grpcRoot,
		}, "framework, on its own: walks"},
		{"decoding under the RPC wrapper", []string{
			tftypes + "msgpackUnmarshal", fw + "internal/fromproto6.DynamicValue", wrap, planRPC, grpcRoot,
		}, "framework, on its own: values"},
		{"the provider's HTTP", []string{
			"syscall.Syscall", "net/http.(*Client).Do", ours + "client.(*Client).GetWebhook", ours + "provider.(*webhookResource).Read", readRPC, grpcRoot,
		}, "HTTP to hookd"},
		{"only the wrapper", []string{"runtime.memmove", wrap, planRPC, grpcRoot}, "the rest"},
	} {
		if got := cpuCategories[categorize(tc.frames)].Name; !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: counted as %q, want %q...", tc.name, got, tc.want)
		}
	}
}

// The profiles of a directory are merged, as the provider's processes
// write one each.
func TestReadProfiles(t *testing.T) {
	dir := t.TempDir()
	for i, stack := range [][]string{{readRPC, grpcRoot}, {planRPC, grpcRoot}} {
		var buf bytes.Buffer
		if err := testProfile([][]string{stack}, []time.Duration{time.Duration(i+1) * 10 * time.Millisecond}).Write(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cpu-"+string(rune('1'+i))+".prof"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readProfiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.files != 2 {
		t.Errorf("files = %d, want 2", got.files)
	}
	if total := breakDown(got.merged).Total; total != 30*time.Millisecond {
		t.Errorf("merged total = %s, want 30ms", total)
	}

	_, err = readProfiles(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "was the provider built with -tags benchprofile?") {
		t.Errorf("an empty directory: %v", err)
	}

	// A profile cut short (its process killed) is left out, and counted.
	if err := os.WriteFile(filepath.Join(dir, "cpu-9.prof"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = readProfiles(dir)
	if err != nil || got.files != 2 || got.unreadable != 1 {
		t.Errorf("with an empty profile: %d read, %d unreadable, %v; want 2, 1", got.files, got.unreadable, err)
	}
	only := t.TempDir()
	if err := os.WriteFile(filepath.Join(only, "cpu-1.prof"), []byte("not a profile"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readProfiles(only); err == nil || !strings.Contains(err.Error(), "no profile in") {
		t.Errorf("no profile parses: %v", err)
	}
}

func TestRenderProfile(t *testing.T) {
	r := testReport(true)
	pp := breakDown(testProfile([][]string{
		{fw + "internal/reflect.Into", readRPC, grpcRoot},
		{"runtime.gcBgMarkWorker"},
	}, []time.Duration{30 * time.Millisecond, 10 * time.Millisecond}))
	pp.Phase, pp.Processes = phasePlan, 3
	r.Profile = &profileResult{N: 500, Phases: []profiledPhase{pp}}
	got := renderReport(r)
	for _, want := range []string{
		"## Where the provider's CPU goes (N = 500, profiled)",
		"| where | plan |\n|---|--:|\n",
		"| garbage collector (background marking) | 0.01 s (25 %) |\n",
		"| framework, on its own: reflection between models and values (Get, Set) | 0.03 s (75 %) |\n",
		"| **all** (profiles: provider processes) | 0.04 s (3) |\n",
		"| plan | ReadResource 0.03 s (75 %); " + outsideRPC + " 0.01 s (25 %) |\n",
		"| plan | `terraform-plugin-framework/internal/reflect.Into` 0.03 s (75 %) |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Index(got, "## Where the provider's CPU goes") < strings.Index(got, "## Targets") {
		t.Error("the profile section comes before Targets")
	}
	if strings.Contains(renderReport(testReport(true)), "Where the provider's CPU goes") {
		t.Error("a run without -profile has a profile section")
	}

	r.Profile.Phases[0].Unreadable = 2
	if got := renderReport(r); !strings.Contains(got, "plan: 2 profiles did not parse and are left out") {
		t.Error("the report does not say that profiles were left out")
	}
	r.Profile, r.ProfileError = nil, "profiled run: terraform apply failed"
	got = renderReport(r)
	if !strings.Contains(got, "## Where the provider's CPU goes\n\nThe profiled run failed, so this report has no profile: profiled run: terraform apply failed\n") {
		t.Error("the report does not say that the profiled run failed")
	}
	if !strings.Contains(got, "## Targets") || !strings.Contains(got, "## Checks") {
		t.Error("a failed profiled run cost the report its other sections")
	}
}
