//go:build benchprofile

package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// The provider as make bench profiles it (scripts/bench -profile): built
// with -tags benchprofile, each process writes a CPU profile of its whole
// life to $HOOKD_BENCH_PROFILE_DIR/cpu-<pid>.prof. Terraform starts the
// provider itself, several times per command, so the profile has to be
// written from inside. Release builds leave this file out.
func init() {
	dir := os.Getenv("HOOKD_BENCH_PROFILE_DIR")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.prof", os.Getpid())))
	if err != nil {
		log.Printf("benchprofile: %v", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("benchprofile: %v", err)
		_ = f.Close()
		return
	}
	afterServe = func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
