package main

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The SDK's and the provider's own logs go off only when no TF_LOG*
// variable asks for logs Terraform collects from the provider.
func TestQuietLogs(t *testing.T) {
	allOff := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_HOOKD": "off"}
	for name, tc := range map[string]struct {
		environ []string
		want    map[string]string
	}{
		"nothing asked":                       {environ: []string{"PATH=/bin", "TF_LOG_PATH=/tmp/x.log", "TF_LOG="}, want: allOff},
		"TF_LOG=off":                          {environ: []string{"TF_LOG=off", "TF_LOG_PROVIDER=OFF"}, want: allOff},
		"TF_LOG_CORE only":                    {environ: []string{"TF_LOG_CORE=trace", "TF_LOG_PATH=/tmp/x.log"}, want: allOff},
		"TF_LOG_CORE and TF_LOG=off":          {environ: []string{"TF_LOG=off", "TF_LOG_CORE=debug"}, want: allOff},
		"TF_LOG=off but the protocol's asked": {environ: []string{"TF_LOG=off", "TF_LOG_SDK_PROTO=trace"}, want: map[string]string{}},
		"TF_LOG":                              {environ: []string{"TF_LOG=trace"}, want: map[string]string{}},
		"TF_LOG and TF_LOG_CORE":              {environ: []string{"TF_LOG_CORE=off", "TF_LOG=info"}, want: map[string]string{}},
		"TF_LOG_PROVIDER":                     {environ: []string{"TF_LOG_PROVIDER=debug", "TF_LOG_CORE=trace"}, want: map[string]string{}},
		"TF_LOG_PROVIDER_HOOKD":               {environ: []string{"TF_LOG_PROVIDER_HOOKD=debug"}, want: map[string]string{}},
		"TF_LOG_SDK":                          {environ: []string{"TF_LOG_SDK=info"}, want: map[string]string{}},
		"TF_LOG_SDK_PROTO":                    {environ: []string{"TF_LOG_SDK_PROTO=trace"}, want: map[string]string{}},
		"TF_LOG_SDK_FRAMEWORK":                {environ: []string{"TF_LOG_SDK_FRAMEWORK=debug"}, want: map[string]string{}},
	} {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			quietLogs(tc.environ, func(k, v string) error { got[k] = v; return nil })
			if !maps.Equal(got, tc.want) {
				t.Errorf("set %v, want %v (keys %v)", got, tc.want, slices.Sorted(maps.Keys(tc.want)))
			}
		})
	}
}

// The provider's GC settings apply unless GOGC or GOMEMLIMIT is set, each
// on its own.
func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"defaults", nil, gcPercent, memoryLimit},
		{"GOGC set", map[string]string{"GOGC": "100"}, -2, memoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, gcPercent, -2},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, -2, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			percent, limit := -2, int64(-2) // -2: not called
			tuneGC(func(k string) string { return tc.env[k] },
				func(n int) int { percent = n; return 100 },
				func(n int64) int64 { limit = n; return 0 })
			if percent != tc.wantPercent || limit != tc.wantLimit {
				t.Errorf("GC percent %d, limit %d; want %d, %d", percent, limit, tc.wantPercent, tc.wantLimit)
			}
		})
	}
}

// The provider binary links none of hookd's server packages: the rules
// they share live in internal/rules, and a server package pulled in by
// one constant would ship hookd's catalog, SQLite or schema code inside
// every provider download (the provider's tests use hookd, the binary
// must not).
func TestBinaryLinksNoServerPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/hookd/terraform-provider-hookd/internal/hookd/") || strings.HasPrefix(pkg, "modernc.org/sqlite") || strings.HasPrefix(pkg, "github.com/jackc/pgx") {
			t.Errorf("the provider binary links %s", pkg)
		}
	}
}
