package httpapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
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
		r.Header.Set("X-Forwarded-For", "203.0.113.9") // not read: no trusted proxy
		if got := clientAddress(r, nil); got != want {
			t.Errorf("clientAddress(%s) = %s, want %s", remote, got, want)
		}
	}
}

// Behind a trusted proxy the client is the last X-Forwarded-For hop that
// is not a trusted proxy, read from the right: what the client wrote to
// the left of it is not believed, and an untrusted peer's header is not
// read at all.
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1, 2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer", "198.51.100.4:1", []string{"203.0.113.9"}, "198.51.100.4"},
		{"trusted peer", "10.1.2.3:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted single address", "192.0.2.1:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies", "10.1.2.3:1", []string{"203.0.113.9, 10.0.0.7, 192.0.2.1"}, "203.0.113.9"},
		{"a forged hop left of the real one", "10.1.2.3:1", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"several headers", "10.1.2.3:1", []string{"6.6.6.6", "203.0.113.9, 10.0.0.7"}, "203.0.113.9"},
		{"no header", "10.1.2.3:1", nil, "10.1.2.3"},
		{"only trusted hops", "10.1.2.3:1", []string{"10.0.0.7"}, "10.0.0.7"},
		{"garbage before a trusted hop", "10.1.2.3:1", []string{"nonsense, 10.0.0.7"}, "10.0.0.7"},
		{"garbage at once", "10.1.2.3:1", []string{"nonsense"}, "10.1.2.3"},
		{"IPv6 client by /64", "[2001:db8:ffff::1]:1", []string{"2001:db8:1:2::77"}, "2001:db8:1:2::/64"},
		{"IPv4-mapped hop", "10.1.2.3:1", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"a hop with a port", "10.1.2.3:1", []string{"203.0.113.9:41234"}, "203.0.113.9"},
		{"an IPv6 hop with a port", "10.1.2.3:1", []string{"[2001:db8:1:2::77]:443"}, "2001:db8:1:2::/64"},
		{"an IPv6 hop in brackets", "10.1.2.3:1", []string{"[2001:db8:1:2::77]"}, "2001:db8:1:2::/64"},
		{"a trusted hop with a port", "10.1.2.3:1", []string{"203.0.113.9, 10.0.0.7:80"}, "203.0.113.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := clientAddress(r, trusted); got != c.want {
			t.Errorf("%s: clientAddress = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.1.2.3/8 ,,::ffff:192.0.2.1, 2001:db8::1, ::ffff:172.16.0.0/108 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::1/128"), netip.MustParsePrefix("172.16.0.0/12")}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%v, want %v", got, want)
		}
	}
	if got, err := ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v, %v", got, err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, proxy.internal"); err == nil || !strings.Contains(err.Error(), `"proxy.internal" is not an IP address or a CIDR prefix such as 10.0.0.0/8`) {
		t.Errorf("a host name: %v", err)
	}
}

// The table of addresses holds at most maxClients: while none of them can
// be forgotten (each still waits off its failures), every further address
// shares one overflow bucket, so many addresses fail no faster than one;
// once buckets are full again they are forgotten and new addresses get
// their own.
func TestAuthFailuresTableIsBounded(t *testing.T) {
	f := newAuthFailures(1, 2)
	f.maxClients = 3
	ctx := context.Background()
	now := time.Unix(1_000_000, 0)
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		f.fail(ctx, a, now)
		f.fail(ctx, a, now)
	}
	for i := range 100 {
		f.fail(ctx, fmt.Sprintf("198.51.100.%d", i), now)
	}
	if n := len(f.buckets); n != 3 {
		t.Fatalf("%d addresses in the table, want at most 3", n)
	}
	// The overflow bucket took the 100 failures: any address outside the
	// table waits them off (98 over the burst of 2, at 1 a second), one
	// it never saw too.
	if w := f.wait(ctx, "203.0.113.7", now); w != 99*time.Second {
		t.Errorf("an address outside the full table waits %s, want 1m39s", w)
	}
	if w := f.wait(ctx, "192.0.2.1", now); w != time.Second {
		t.Errorf("an address in the table waits %s, want its own 1s", w)
	}
	// Two minutes on, every bucket is full again: the table is swept and a
	// new address gets a bucket of its own.
	later := now.Add(2 * time.Minute)
	f.fail(ctx, "203.0.113.8", later)
	if _, ok := f.buckets["203.0.113.8"]; !ok || len(f.buckets) != 1 {
		t.Errorf("after the sweep the table holds %d addresses, want only 203.0.113.8", len(f.buckets))
	}
	if w := f.wait(ctx, "203.0.113.8", later); w != 0 {
		t.Errorf("one failure within the burst waits %s", w)
	}
}
