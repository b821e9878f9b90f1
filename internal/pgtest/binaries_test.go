package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeBin makes dir with executable initdb and postgres files in it.
func fakeBin(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFinderOrder(t *testing.T) {
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	fakeBin(t, filepath.Join(lib, "9.6", "bin"))
	fakeBin(t, filepath.Join(lib, "16", "bin"))
	fakeBin(t, filepath.Join(lib, "17", "bin"))
	if err := os.MkdirAll(filepath.Join(lib, "17", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(lib, "17", "bin", "postgres")); err != nil { // 17: client only
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(lib, "common"), 0o755); err != nil { // not a version
		t.Fatal(err)
	}
	onPath := fakeBin(t, filepath.Join(root, "path"))
	fromEnv := fakeBin(t, filepath.Join(root, "env"))
	empty := t.TempDir()

	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvBin {
				return v
			}
			return ""
		}
	}
	found := func(string) (string, error) { return filepath.Join(onPath, "initdb"), nil }
	notFound := func(string) (string, error) { return "", errors.New("not on PATH") }

	for _, tc := range []struct {
		name    string
		f       finder
		want    string
		wantErr string
	}{
		{"env first", finder{env(fromEnv), found, lib}, fromEnv, ""},
		{"env set but empty is an error, not a fallback", finder{env(empty), found, lib}, "", "$HOOKD_PG_BIN=" + empty},
		{"then PATH", finder{env(""), found, lib}, onPath, ""},
		{"then the highest version with a server", finder{env(""), notFound, lib}, filepath.Join(lib, "16", "bin"), ""},
		{"nothing", finder{env(""), notFound, empty}, "", "on PATH nor in " + empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.find()
			if tc.wantErr != "" {
				if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
					t.Fatalf("find() = %q, %v; want ErrNoBinaries mentioning %q and what to install", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("find() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestVersionDirs(t *testing.T) {
	lib := t.TempDir()
	for _, v := range []string{"9.6", "10", "16", "9.10", "x"} {
		if err := os.Mkdir(filepath.Join(lib, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, d := range versionDirs(lib) {
		got = append(got, filepath.Base(filepath.Dir(d)))
	}
	if want := []string{"16", "10", "9.10", "9.6"}; !slices.Equal(got, want) {
		t.Errorf("versionDirs = %v, want %v", got, want)
	}
}

// The real lookup, pointed at an empty directory: what a machine without
// PostgreSQL looks like to Start.
func TestStartWithoutBinaries(t *testing.T) {
	t.Setenv(EnvBin, t.TempDir())
	_, err := Start()
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("Start() error = %v, want ErrNoBinaries", err)
	}
}
