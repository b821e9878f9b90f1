// Command releasetargets reads a goreleaser configuration and prints the
// platforms each of its builds makes, one "<build id> <os>_<arch>" line per
// platform, sorted: goos x goarch less the "ignore" pairs and less what is
// not a port of the Go on PATH (`go tool dist list`; darwin_arm, say), as
// goreleaser expands them (release-check compares this with its lists).
// With -only and -write it also writes a copy of the configuration whose
// builds make only the platforms named in -only (each
// build gets a goreleaser "targets" list in place of goos, goarch and
// ignore), so that CI can build a part of the release and check its layout
// without cross-compiling all of it:
//
//	go run ./scripts/releasetargets .goreleaser.yml
//	go run ./scripts/releasetargets -only linux_amd64,windows_arm64 -write /tmp/g.yml .goreleaser.yml
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

func main() {
	only := flag.String("only", "", "comma-separated `os_arch` platforms the written copy builds (each must be one of some build's)")
	write := flag.String("write", "", "write the copy of the configuration restricted to -only to `file`")
	flag.Parse()
	if flag.NArg() != 1 || (*only == "") != (*write == "") {
		fmt.Fprintln(os.Stderr, "usage: releasetargets [-only os_arch,... -write FILE] CONFIG")
		os.Exit(2)
	}
	if err := run(os.Stdout, flag.Arg(0), *only, *write); err != nil {
		fmt.Fprintf(os.Stderr, "releasetargets: %v\n", err)
		os.Exit(1)
	}
}

func run(w io.Writer, config, only, write string) error {
	data, err := os.ReadFile(config)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", config, err)
	}
	ports, err := goPorts()
	if err != nil {
		return err
	}
	builds, err := buildsOf(&doc, ports)
	if err != nil {
		return fmt.Errorf("%s: %w", config, err)
	}
	for _, b := range builds {
		for _, p := range b.platforms {
			fmt.Fprintf(w, "%s %s\n", b.id, p)
		}
	}
	if write == "" {
		return nil
	}
	want := strings.Split(only, ",")
	if err := restrict(builds, want); err != nil {
		return err
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(write, out, 0o644)
}

// build is one entry of "builds": its id, the platforms it makes, and its
// mapping node, which restrict rewrites.
type build struct {
	id        string
	platforms []string
	node      *yaml.Node
}

// pair is an entry of a build's "ignore" list; an empty field matches any.
type pair struct {
	Goos   string `yaml:"goos"`
	Goarch string `yaml:"goarch"`
}

// buildsOf expands each build's goos x goarch less its ignore pairs.
func buildsOf(doc *yaml.Node, ports []string) ([]build, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	list := value(doc.Content[0], "builds")
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, errors.New(`no "builds" list`)
	}
	var builds []build
	for i, n := range list.Content {
		var b struct {
			ID      string   `yaml:"id"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Targets []string `yaml:"targets"`
			Ignore  []pair   `yaml:"ignore"`
		}
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("builds[%d]: %w", i, err)
		}
		if b.ID == "" || len(b.Goos) == 0 || len(b.Goarch) == 0 || len(b.Targets) > 0 {
			// goreleaser's defaults (every first-class port) and explicit
			// targets would need its own expansion; our configuration
			// names its platforms.
			return nil, fmt.Errorf(`builds[%d]: give "id", "goos" and "goarch" (and no "targets")`, i)
		}
		var platforms []string
		for _, goos := range b.Goos {
			for _, goarch := range b.Goarch {
				ignored := slices.ContainsFunc(b.Ignore, func(ig pair) bool {
					return (ig.Goos == "" || ig.Goos == goos) && (ig.Goarch == "" || ig.Goarch == goarch)
				})
				if !ignored && slices.Contains(ports, goos+"/"+goarch) {
					platforms = append(platforms, goos+"_"+goarch)
				}
			}
		}
		slices.Sort(platforms)
		builds = append(builds, build{id: b.ID, platforms: platforms, node: n})
	}
	return builds, nil
}

// restrict makes each build make only its platforms that are in want: a
// "targets" list replaces goos, goarch and ignore. Every platform of want
// must be one of some build's, and every build must keep one (an empty
// targets list would mean goreleaser's defaults, not none).
func restrict(builds []build, want []string) error {
	for _, p := range want {
		if !slices.ContainsFunc(builds, func(b build) bool { return slices.Contains(b.platforms, p) }) {
			return fmt.Errorf("-only: no build makes %q", p)
		}
	}
	for _, b := range builds {
		var keep []string
		for _, p := range b.platforms {
			if slices.Contains(want, p) {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("-only: build %q would make no platform; name one of %s", b.id, strings.Join(b.platforms, ", "))
		}
		m := b.node
		for _, key := range []string{"goos", "goarch", "ignore"} {
			if i := keyIndex(m, key); i >= 0 {
				m.Content = slices.Delete(m.Content, i, i+2)
			}
		}
		targets := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range keep {
			targets.Content = append(targets.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p})
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "targets"}, targets)
	}
	return nil
}

// goPorts lists the GOOS/GOARCH pairs the Go on PATH builds for.
func goPorts() ([]string, error) {
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("go tool dist list: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// value is the value of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if i := keyIndex(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

// keyIndex is the index of key's node in mapping m's Content (its value
// follows), or -1.
func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}
