// Command terraform-provider-hookd is the Terraform provider of the Hooks
// API: webhooks at account and group scope, groups, the event catalog and
// deliveries.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

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

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         provider.Address,
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
