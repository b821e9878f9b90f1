package delivery

import (
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/netpolicy"
)

// An address written in the URL is named once; the path and query, which
// may hold a token, never are.
func TestRefusedDetail(t *testing.T) {
	for _, c := range []struct{ host, address, kind, want string }{
		{"127.0.0.1", "127.0.0.1:8443", "a loopback address", "hookd did not connect: 127.0.0.1:8443 is a loopback address, and this"},
		{"::ffff:10.0.0.1", "10.0.0.1:443", "a private address", "hookd did not connect: 10.0.0.1:443 is a private address, and this"},
		{"hooks.example.com", "10.0.0.1:443", "a private address", "hookd did not connect: hooks.example.com resolved to 10.0.0.1:443, a private address, and this"},
	} {
		got := refusedDetail(c.host, &netpolicy.RefusedError{Address: c.address, Kind: c.kind})
		if !strings.HasPrefix(got, c.want) || !strings.HasSuffix(got, "--allow-private-destinations to deliver to private and loopback addresses (development).") {
			t.Errorf("refusedDetail(%s, %s) = %q", c.host, c.address, got)
		}
	}
}
