// Command terraform-provider-hookd is the Terraform provider of the Hooks
// API: webhooks at account and group scope, groups, the event catalog and
// deliveries.
package main

import (
	"flag"
	"log"
	"os"
	rtdebug "runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// Run "go generate" to format example configs and regenerate docs/ from
// the schemas, examples/ and templates/ (scripts/docs.sh: the schema comes
// from the newest Terraform, built by scripts/terraform.sh, so write-only
// arguments, identity, actions and list resources are rendered; it
// downloads nothing).
//go:generate bash scripts/docs.sh

// version is set by goreleaser (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	// In -debug mode the logs go to the developer's terminal, not through
	// Terraform, which would have dropped them: keep them.
	if !debug {
		quietLogs(os.Environ(), os.Setenv)
	}
	tuneGC(os.Getenv, rtdebug.SetGCPercent, rtdebug.SetMemoryLimit)

	// Terraform (the parent) runs this binary several times per command;
	// they read the event catalog once between them.
	cache := &provider.CommandCache{Dir: os.TempDir(), Command: os.Getppid()}
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// What providerserver.Serve does for protocol 6, with provider.Server:
	// the framework's server wrapped so that it keeps no RPC's context.
	err := tf6server.Serve(provider.Address, provider.Server(version, provider.WithCommandCache(cache)), opts...)
	afterServe()
	if err != nil {
		log.Fatal(err.Error())
	}
}

// afterServe runs once Terraform is done with the process. Only the build
// that make bench profiles sets it (profile_benchprofile.go: it ends the
// CPU profile); release builds do nothing.
var afterServe = func() {}

// quietLogVars are the log levels quietLogs turns off: the plugin SDK's
// (its root logger, the protocol and framework subsystems) and the
// provider's own (tflog; terraform-plugin-go names the variable after the
// provider's type, provider.LogLevelEnv).
var quietLogVars = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", provider.LogLevelEnv}

// quietLogs turns the provider process's logs off when Terraform collects
// none of them. Without a level the plugin SDK logs every RPC at TRACE as
// JSON on stderr, and so does the provider through tflog (every API call),
// which Terraform parses and throws away unless it collects provider logs:
// tens of MB per command at a few hundred resources
// (terraform-plugin-framework #1269). Terraform collects them when TF_LOG
// or TF_LOG_PROVIDER is set; the SDK's and the provider's own variables
// (TF_LOG_SDK*, TF_LOG_PROVIDER_HOOKD) set by the user say logs are
// wanted too, and then nothing changes here. TF_LOG_CORE sets Terraform's
// own level only (it collects no provider logs for it), and TF_LOG_PATH
// is only where logs go: neither asks for the provider's. A variable set
// to "off" (TF_LOG=off, a common way of saying "no logs") asks for none,
// and leaving the SDK at its default would log everything.
func quietLogs(environ []string, setenv func(key, value string) error) {
	for _, kv := range environ {
		if name, value, _ := strings.Cut(kv, "="); asksForProviderLogs(name, value) {
			return
		}
	}
	for _, name := range quietLogVars {
		_ = setenv(name, "off")
	}
}

// asksForProviderLogs: the variable name=value asks for logs Terraform
// collects from the provider.
func asksForProviderLogs(name, value string) bool {
	switch {
	case !strings.HasPrefix(name, "TF_LOG"), value == "", strings.EqualFold(value, "off"):
		return false
	case name == "TF_LOG_PATH", name == "TF_LOG_CORE":
		return false
	}
	return true
}

// The provider process's garbage collector. Terraform runs several provider
// processes per command, side by side with itself. A process's live heap
// stays at a few MiB (since protoserver.Wrap: it used to grow with every
// RPC), while each RPC allocates many short-lived framework values: with
// GOGC=100 the collector ran hundreds of times per command for little.
// gcPercent lets the heap grow to five times the live heap between
// collections, and memoryLimit caps it whatever the live heap does. make
// bench at 500 webhooks: provider CPU 15 to 23 % lower in apply, update and
// destroy, a no-change plan about 11 % less CPU (Terraform and provider,
// interleaved medians of 5), peak RSS 54 to 60 MiB (34 with GOGC=100),
// under the 64 MiB target. GOGC and GOMEMLIMIT, when set, win.
const (
	gcPercent   = 400
	memoryLimit = 48 << 20
)

// tuneGC sets gcPercent and memoryLimit unless GOGC or GOMEMLIMIT says
// otherwise.
func tuneGC(getenv func(string) string, setPercent func(int) int, setLimit func(int64) int64) {
	if getenv("GOGC") == "" {
		setPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		setLimit(memoryLimit)
	}
}
