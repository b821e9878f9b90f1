package main

import (
	"io"
	"strings"
	"testing"
)

// The console is on unless --console=false or HOOKD_CONSOLE=false.
func TestConsoleFlag(t *testing.T) {
	f, err := parseServeFlags(nil, io.Discard)
	if err != nil || !f.console {
		t.Fatalf("default: %+v, %v", f, err)
	}
	if f, err = parseServeFlags([]string{"--console=false"}, io.Discard); err != nil || f.console {
		t.Fatalf("--console=false: %+v, %v", f, err)
	}
	t.Setenv("HOOKD_CONSOLE", "false")
	if f, err = parseServeFlags(nil, io.Discard); err != nil || f.console {
		t.Fatalf("HOOKD_CONSOLE=false: %+v, %v", f, err)
	}
	if f, err = parseServeFlags([]string{"--console"}, io.Discard); err != nil || !f.console {
		t.Fatalf("the flag wins: %+v, %v", f, err)
	}
	t.Setenv("HOOKD_CONSOLE", "maybe")
	if _, err := parseServeFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "HOOKD_CONSOLE") {
		t.Fatalf("bad HOOKD_CONSOLE: %v", err)
	}
}
