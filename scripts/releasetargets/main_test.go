package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const config = `version: 2
builds:
  - id: provider
    main: .
    goos: [linux, darwin, windows]
    goarch: [amd64, "386", arm]
    ignore:
      - goos: darwin
        goarch: "386"
      - goos: windows
        goarch: arm
  - id: hookd
    main: ./cmd/hookd
    goos: [linux]
    goarch: [amd64, arm64]
archives:
  - id: provider
`

var ports = []string{"linux/amd64", "linux/386", "linux/arm", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/386"}

func parse(t *testing.T) (*yaml.Node, []build) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		t.Fatal(err)
	}
	builds, err := buildsOf(&doc, ports)
	if err != nil {
		t.Fatal(err)
	}
	return &doc, builds
}

func TestBuildsOf(t *testing.T) {
	_, builds := parse(t)
	got := map[string][]string{}
	for _, b := range builds {
		got[b.id] = b.platforms
	}
	// darwin_386 and windows_arm are ignored; darwin_arm is no Go port.
	want := map[string][]string{
		"provider": {"darwin_amd64", "linux_386", "linux_amd64", "linux_arm", "windows_386", "windows_amd64"},
		"hookd":    {"linux_amd64", "linux_arm64"},
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("%s: %v, want %v", id, got[id], w)
		}
	}
}

func TestRestrict(t *testing.T) {
	doc, builds := parse(t)
	if err := restrict(builds, []string{"linux_amd64", "windows_386"}); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Builds []struct {
			ID      string   `yaml:"id"`
			Main    string   `yaml:"main"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Ignore  []pair   `yaml:"ignore"`
			Targets []string `yaml:"targets"`
		} `yaml:"builds"`
		Archives []map[string]any `yaml:"archives"`
	}
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Builds) != 2 || len(back.Archives) != 1 {
		t.Fatalf("the copy lost builds or archives:\n%s", out)
	}
	for i, want := range [][]string{{"linux_amd64", "windows_386"}, {"linux_amd64"}} {
		b := back.Builds[i]
		if !slices.Equal(b.Targets, want) || b.Goos != nil || b.Goarch != nil || b.Ignore != nil || b.Main == "" {
			t.Errorf("build %s: targets %v goos %v goarch %v ignore %v main %q, want targets %v, no goos/goarch/ignore, main kept", b.ID, b.Targets, b.Goos, b.Goarch, b.Ignore, b.Main, want)
		}
	}
}

func TestRestrictRefuses(t *testing.T) {
	for _, tc := range []struct {
		only []string
		want string
	}{
		{[]string{"linux_amd64", "plan9_386"}, `no build makes "plan9_386"`},
		{[]string{"darwin_amd64"}, `build "hookd" would make no platform; name one of linux_amd64, linux_arm64`},
	} {
		_, builds := parse(t)
		err := restrict(builds, tc.only)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("restrict(%v) = %v, want an error with %q", tc.only, err, tc.want)
		}
	}
}

func TestBuildsOfRefusesImplicitPlatforms(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("builds:\n  - id: x\n    targets: [linux_amd64]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := buildsOf(&doc, ports); err == nil || !strings.Contains(err.Error(), `give "id", "goos" and "goarch"`) {
		t.Fatalf("got %v", err)
	}
}

// The repository's own configuration expands to what release-check lists.
func TestRunOnRepositoryConfig(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "g.yml")
	if err := run(&out, "../../.goreleaser.yml", "linux_amd64", path); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 19 || !slices.Contains(lines, "provider windows_arm64") || slices.Contains(lines, "provider windows_arm") {
		t.Fatalf("%d platforms:\n%s", len(lines), out.String())
	}
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), "targets:\n        - linux_amd64") {
		t.Fatalf("written copy (%v):\n%s", err, data)
	}
}
