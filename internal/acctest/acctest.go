// Package acctest runs the provider's acceptance tests: real Terraform
// (terraform-plugin-testing) against a real hookd started in-process on a
// loopback port with a temp database, or against HOOKD_ENDPOINT and
// HOOKD_API_KEY when both are set.
package acctest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// ProtoV6ProviderFactories serves the provider in-process to Terraform.
var ProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"hookd": func() (tfprotov6.ProviderServer, error) { return provider.Server("test")(), nil },
}

// Env is the hookd a test runs against.
type Env struct {
	Endpoint string
	APIKey   string
	// Client talks to the same server, for out-of-band changes and checks.
	Client *client.Client
	// Server is the in-process hookd; nil against an external server.
	Server *hookdtest.Server
}

// Start returns the hookd for one test: an external one when HOOKD_ENDPOINT
// and HOOKD_API_KEY are set, otherwise a fresh in-process server (private
// destinations allowed, so test receivers on loopback work). A test that
// gives options (such as hookdtest.WithClock) needs the in-process server
// and is skipped against an external one.
func Start(t *testing.T, opts ...hookdtest.Option) *Env {
	t.Helper()
	PreCheck(t)
	e := &Env{Endpoint: os.Getenv(provider.EnvEndpoint), APIKey: os.Getenv(provider.EnvAPIKey)}
	if e.Endpoint != "" && e.APIKey != "" && len(opts) > 0 {
		t.Skip("this test configures hookd itself (an injected clock): it runs against the in-process hookd only")
	}
	if e.Endpoint == "" || e.APIKey == "" {
		e.Server = hookdtest.Start(t, opts...)
		// Runs before the server's own cleanup (last in, first out).
		t.Cleanup(client.CloseIdleConnections)
		e.Endpoint, e.APIKey = e.Server.URL, e.Server.APIKey
	}
	c, err := client.New(e.Endpoint, e.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	e.Client = c
	return e
}

// PreCheck skips acceptance tests unless TF_ACC is set, as resource.Test does.
func PreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests need TF_ACC=1 (make test sets it)")
	}
}

// ProviderBlock configures the provider for this Env explicitly, so tests
// can run in parallel without sharing environment variables.
func (e *Env) ProviderBlock() string {
	return fmt.Sprintf(`
provider "hookd" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
}
`, e.Endpoint, e.APIKey)
}

// Config is the provider block followed by body.
func (e *Env) Config(body string) string {
	return e.ProviderBlock() + "\n" + body
}

var (
	nameMu  sync.Mutex
	nameSeq int
)

// RandomName is a unique name with a recognisable prefix, for objects that
// must not collide on a shared external server.
func RandomName(prefix string) string {
	nameMu.Lock()
	defer nameMu.Unlock()
	nameSeq++
	return fmt.Sprintf("tfacc-%s-%d-%s", prefix, nameSeq, strings.ToLower(randomSuffix()))
}

// Words matches texts, in order and with anything between them, whose words
// are separated by any whitespace, as Terraform wraps diagnostics; the texts
// are otherwise literal.
func Words(texts ...string) *regexp.Regexp {
	parts := make([]string, len(texts))
	for i, text := range texts {
		fields := strings.Fields(text)
		for j, f := range fields {
			fields[j] = regexp.QuoteMeta(f)
		}
		parts[i] = strings.Join(fields, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `.*`))
}
