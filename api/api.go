// Package api embeds the Hooks API v1 contract, api/openapi.yaml, so that
// contract tests of the server and the client validate against the very
// file that is published.
package api

import _ "embed"

// OpenAPI is the contract, OpenAPI 3.1 YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
