package client_test

import (
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// An endpoint with credentials is refused, and the refusal never prints the
// password, whether or not the URL parses.
func TestNewRedactsEndpointCredentials(t *testing.T) {
	for endpoint, want := range map[string]string{
		"http://admin:s3cr3t-pw@127.0.0.1:8080":  `invalid client configuration: endpoint "http://[redacted]@127.0.0.1:8080" must not contain credentials, a query or a fragment`,
		"https://admin:s3cr3t-pw@hooks.example":  `invalid client configuration: endpoint "https://[redacted]@hooks.example" must not contain credentials, a query or a fragment`,
		"http://admin:s3cr3t-pw@127.0.0.1:port":  `invalid client configuration: endpoint "http://[redacted]@127.0.0.1:port" must be an absolute http or https URL such as http://127.0.0.1:8080`,
		"http://admin:s3cr3t-pw%zz@127.0.0.1:80": `invalid client configuration: endpoint "http://[redacted]@127.0.0.1:80" must be an absolute http or https URL such as http://127.0.0.1:8080`,
	} {
		_, err := client.New(endpoint, "hookd_key")
		if err == nil || err.Error() != want {
			t.Errorf("New(%q) = %v, want %s", endpoint, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("New(%q): the error shows the password: %v", endpoint, err)
		}
	}
}
