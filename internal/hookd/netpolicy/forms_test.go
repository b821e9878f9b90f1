package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Every way of writing an address that leads to loopback, a private or
// link-local network, a metadata service or the host itself is refused.
func TestRefusedForms(t *testing.T) {
	for _, c := range []struct{ host, means string }{
		{"127.0.0.1", "loopback"},
		{"2130706433", "127.0.0.1 in decimal"},
		{"0177.0.0.1", "127.0.0.1 in octal"},
		{"0x7f000001", "127.0.0.1 in hex"},
		{"0x7f.0.0.1", "127.0.0.1, first part in hex"},
		{"127.1", "127.0.0.1, short form"},
		{"127.0.1", "127.0.0.1, three parts"},
		{"017700000001", "127.0.0.1 as one octal number"},
		{"127.0.0.1.", "trailing dot"},
		{"0.0.0.0", "unspecified"},
		{"0", "0.0.0.0, short"},
		{"0.1.2.3", "this network"},
		{"10.0.0.1", "private"},
		{"172.16.5.4", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.254", "CGNAT, top"},
		{"169.254.169.254", "metadata (link-local)"},
		{"2852039166", "169.254.169.254 in decimal"},
		{"168.63.129.16", "Azure WireServer"},
		{"[::ffff:a83f:8110]", "Azure WireServer, IPv4-mapped"},
		{"192.0.0.170", "IETF protocol assignments"},
		{"198.18.0.1", "benchmarking"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "broadcast"},
		{"224.0.0.1", "multicast"},
		{"[::]", "IPv6 unspecified"},
		{"[::1]", "IPv6 loopback"},
		{"[::ffff:127.0.0.1]", "IPv4-mapped loopback"},
		{"[::ffff:7f00:1]", "IPv4-mapped loopback, hex"},
		{"[::ffff:169.254.169.254]", "IPv4-mapped metadata"},
		{"[::127.0.0.1]", "IPv4-compatible loopback"},
		{"[::7f00:1]", "IPv4-compatible loopback, hex"},
		{"[::8.8.8.8]", "IPv4-compatible (the whole ::/96)"},
		{"[::ffff:0:127.0.0.1]", "IPv4-translated (SIIT) loopback"},
		{"[64:ff9b::7f00:1]", "NAT64 of loopback"},
		{"[64:ff9b::127.0.0.1]", "NAT64 of loopback, dotted"},
		{"[64:ff9b::a9fe:a9fe]", "NAT64 of the metadata address"},
		{"[64:ff9b::808:808]", "NAT64 (the whole well-known prefix)"},
		{"[64:ff9b:1::a00:1]", "NAT64 local-use of 10.0.0.1"},
		{"[2002:7f00:1::1]", "6to4 of loopback"},
		{"[2002:a00:1::1]", "6to4 of 10.0.0.1"},
		{"[2002:808:808::1]", "6to4 (the whole prefix)"},
		{"[2001:0:4136:e378:8000:63bf:80ff:fffe]", "Teredo, client 127.0.0.1"},
		{"[fe80::1]", "IPv6 link-local"},
		{"[fe80::1%eth0]", "IPv6 link-local with zone"},
		{"[fe80::1%25eth0]", "IPv6 link-local with an escaped zone"},
		{"[fc00::1]", "unique local"},
		{"[fd00:ec2::254]", "EC2 metadata over IPv6"},
		{"[fec0::1]", "site-local"},
		{"[ff02::1]", "IPv6 multicast"},
		{"192.0.2.1", "documentation (TEST-NET-1)"},
		{"198.51.100.1", "documentation (TEST-NET-2)"},
		{"203.0.113.1", "documentation (TEST-NET-3)"},
		{"[2001:db8::1]", "IPv6 documentation"},
		{"[3fff::1]", "IPv6 documentation (RFC 9637)"},
		{"[100::1]", "discard-only"},
		{"[2001:2::1]", "IPv6 benchmarking"},
		{"[2001:5::1]", "IETF protocol assignments, not globally reachable"},
		{"[5f00::1]", "SRv6 segment identifiers"},
		{"[4000::1]", "outside global unicast (2000::/3)"},
		{"①②⑦.0.0.1", "127.0.0.1 in circled digits (IDNA maps them to ASCII)"},
		{"127。0。0。1", "127.0.0.1 with ideographic full stops"},
		{"１２７．０．０．１", "127.0.0.1 in fullwidth digits and full stops"},
		{"ｌｏｃａｌｈｏｓｔ", "localhost in fullwidth letters"},
		{"localhost", "localhost"},
		{"api.localhost.", "a localhost name"},
	} {
		host := c.host
		if h, zone, ok := cutZone(host); ok {
			host = h + "%" + zone
		}
		if !IsPrivateHost(host) {
			t.Errorf("%s (%s) is not refused", c.host, c.means)
		}
	}
	for _, host := range []string{"8.8.8.8", "134744072", "93.184.216.34", "[2606:4700::1111]", "100.128.0.1", "[2a00:1450:4001:82a::200e]", "[2001:4:112::1]", "example.com", "1.1", "[2001:0:4136:e378:8000:63bf:f7f7:f7f7]"} {
		if IsPrivateHost(host) {
			t.Errorf("%s is refused", host)
		}
	}
}

// cutZone unescapes a zone written as in a URL ("%25").
func cutZone(host string) (string, string, bool) {
	for i := 0; i+3 <= len(host); i++ {
		if host[i:i+3] == "%25" {
			return host[:i], host[i+3:], true
		}
	}
	return "", "", false
}

func TestParseHost(t *testing.T) {
	for host, want := range map[string]struct {
		addr   string
		legacy bool
	}{
		"2130706433": {"127.0.0.1", true}, "0177.0.0.1": {"127.0.0.1", true}, "0x7f000001": {"127.0.0.1", true},
		"127.1": {"127.0.0.1", true}, "127.0.1": {"127.0.0.1", true}, "134744072": {"8.8.8.8", true}, "0": {"0.0.0.0", true},
		"0x": {"0.0.0.0", true}, "127.0.0.1": {"127.0.0.1", false}, "[::1]": {"::1", false}, "8.8.8.8.": {"8.8.8.8", false},
	} {
		addr, legacy, ok := ParseHost(host)
		if !ok || addr.String() != want.addr || legacy != want.legacy {
			t.Errorf("ParseHost(%s) = %s legacy %v ok %v, want %s legacy %v", host, addr, legacy, ok, want.addr, want.legacy)
		}
	}
	for _, host := range []string{"example.com", "256.1.1.1", "1.2.3.4.5", "4294967296", "09", "0x1g", "1..1", "", "127.0.0.256", "1.16777216"} {
		if addr, _, ok := ParseHost(host); ok {
			t.Errorf("ParseHost(%s) = %s, want no address", host, addr)
		}
	}
}

// At dial time, every address that leads to the listener on loopback is
// refused before a connection is made: literal forms, and a DNS name a
// (test) resolver answers with 127.0.0.1. The listener counts what reaches
// it: nothing may.
func TestDialRefusesEveryFormWithoutConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = conn.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	resolver := testResolver(t, netip.MustParseAddr("127.0.0.1"))
	d := &net.Dialer{Timeout: time.Second, Control: Control, Resolver: resolver}
	for _, host := range []string{
		"127.0.0.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1",
		"2002:7f00:1::1", "fe80::1%lo", "169.254.169.254", "168.63.129.16", "100.64.0.1", "fd00:ec2::254",
		"loopback.test.", // resolved by the test resolver to 127.0.0.1
	} {
		_, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("dial %s: %v, want a RefusedError", host, err)
		}
	}
	// The inet_aton forms are refused when the webhook is saved; should one
	// reach the dialer, Go's resolver finds no such host, and a resolver
	// that answers it (the C one, through cgo, or here the test resolver)
	// gives 127.0.0.1, which Control refuses: either way, no connection.
	for _, host := range []string{"127.1", "2130706433", "0x7f000001", "0177.0.0.1"} {
		_, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		var refused *RefusedError
		var dnsErr *net.DNSError
		if !errors.As(err, &refused) && !errors.As(err, &dnsErr) {
			t.Errorf("dial %s: %v, want a RefusedError or a DNS error", host, err)
		}
	}
	// The check does not get in the way of a permitted dial: without the
	// policy the same listener is reached (so the count above means
	// something).
	conn, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	deadline := time.Now().Add(time.Second)
	for accepted.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("the listener accepted %d connections, want only the one made without the policy", n)
	}
}

// testResolver is a resolver whose DNS server, on 127.0.0.1, answers every
// A question with addr and every other question with no records.
func testResolver(t *testing.T, addr netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr.As4()})
			}
			msg, err := b.Finish()
			if err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}
