package httpapi

import (
	"net/http/httptest"
	"testing"
)

// Failures are counted per address; IPv6 clients per /64, which one host
// can use whole.
func TestClientAddress(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5555":                     "192.0.2.7",
		"[::ffff:192.0.2.7]:5555":            "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:443":         "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb:cccc:dddd:1]:80": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:80":               "2001:db8:1:3::/64",
		"not-an-address":                     "not-an-address",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := clientAddress(r); got != want {
			t.Errorf("clientAddress(%s) = %s, want %s", remote, got, want)
		}
	}
}
