package main

import (
	"maps"
	"slices"
	"testing"
)

// The SDK's logs go off only when no TF_LOG* variable asks for logs.
func TestQuietSDKLogs(t *testing.T) {
	for name, tc := range map[string]struct {
		environ []string
		want    map[string]string
	}{
		"nothing asked": {
			environ: []string{"PATH=/bin", "TF_LOG_PATH=/tmp/x.log", "TF_LOG="},
			want:    map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off"},
		},
		"TF_LOG":           {environ: []string{"TF_LOG=trace"}, want: map[string]string{}},
		"TF_LOG_PROVIDER":  {environ: []string{"TF_LOG_PROVIDER=debug"}, want: map[string]string{}},
		"TF_LOG_SDK":       {environ: []string{"TF_LOG_SDK=info"}, want: map[string]string{}},
		"TF_LOG_SDK_PROTO": {environ: []string{"TF_LOG_SDK_PROTO=trace"}, want: map[string]string{}},
	} {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			quietSDKLogs(tc.environ, func(k, v string) error { got[k] = v; return nil })
			if !maps.Equal(got, tc.want) {
				t.Errorf("set %v, want %v (keys %v)", got, tc.want, slices.Sorted(maps.Keys(tc.want)))
			}
		})
	}
}

// The provider's soft memory limit applies unless GOMEMLIMIT is set.
func TestLimitMemory(t *testing.T) {
	var got int64 = -1
	set := func(n int64) int64 { got = n; return 0 }
	limitMemory(func(string) string { return "" }, set)
	if got != memoryLimit {
		t.Errorf("limit %d, want %d", got, memoryLimit)
	}
	got = -1
	limitMemory(func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }, set)
	if got != -1 {
		t.Errorf("GOMEMLIMIT set, but the limit became %d", got)
	}
}
