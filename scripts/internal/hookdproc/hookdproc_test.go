package hookdproc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestStartedAddr(t *testing.T) {
	log := `not json
{"time":"2026-11-30T07:24:42Z","level":"INFO","msg":"listening","addr":"127.0.0.1:1"}
{"time":"2026-11-30T07:24:42Z","level":"INFO","msg":"hookd started","version":"dev","addr":"127.0.0.1:40777"}
`
	if got, err := StartedAddr(strings.NewReader(log)); got != "127.0.0.1:40777" || err != nil {
		t.Errorf("got %q, %v", got, err)
	}
	if got, _ := StartedAddr(strings.NewReader(`{"msg":"listening","addr":"127.0.0.1:1"}`)); got != "" {
		t.Errorf("before the started line: got %q", got)
	}
}

func TestWithoutVars(t *testing.T) {
	env := []string{"PATH=/bin", "TF_LOG=trace", "HOOKD_API_KEY=k", "TF_VAR_x=1", "HOME=/root", "GOFLAGS=-mod=readonly"}
	want := []string{"PATH=/bin", "HOME=/root", "GOFLAGS=-mod=readonly"}
	if got := WithoutVars(env, "TF_", "HOOKD_"); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if env[1] != "TF_LOG=trace" {
		t.Error("WithoutVars changed its argument")
	}
}

func TestNewAPIKey(t *testing.T) {
	a, b := NewAPIKey("hookd_x_"), NewAPIKey("hookd_x_")
	if a == b || !strings.HasPrefix(a, "hookd_x_") || len(a) != len("hookd_x_")+32 {
		t.Errorf("keys %q and %q", a, b)
	}
}

// A stand-in for hookd that logs its start as hookd does and waits: Start
// reads the address, Stop and Kill end it by its pid.
func TestStartStopKill(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-hookd")
	script := "#!/bin/sh\necho '{\"msg\":\"hookd started\",\"addr\":\"127.0.0.1:4242\"}'\nexec sleep 60\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &Hookd{Bin: bin, Dir: dir, APIKey: "k"}
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h.Addr != "127.0.0.1:4242" || h.PID() <= 0 {
		t.Fatalf("addr %q, pid %d", h.Addr, h.PID())
	}
	h.Kill()
	if err := h.Start(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	h.Stop()
	select {
	case <-h.exited:
	default:
		t.Fatal("Stop returned before the process exited")
	}
	for _, name := range []string{"hookd-1.log", "hookd-2.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}
