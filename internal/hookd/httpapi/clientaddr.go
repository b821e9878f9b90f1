package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads --trusted-proxies: IP addresses and CIDR
// prefixes, separated by commas.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				// Addresses are compared unmapped (::ffff:10.1.2.3 is 10.1.2.3).
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or a CIDR prefix such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientAddress is the address a request came from, which failed
// authentications are counted by. It is the connection's peer, unless the
// peer is a trusted proxy (Config.TrustedProxies): then it is the last
// address in X-Forwarded-For that is not a trusted proxy, read from the
// right, since each proxy appends the address it got the request from and
// a client may write anything to the left (so an untrusted peer's
// X-Forwarded-For is never read). Without it, every client behind a proxy
// shares the proxy's address, and one that keeps sending a wrong key gets
// all of them 429. IPv6 clients are grouped by /64, the block one host
// usually has.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if isTrusted(addr, trusted) {
		addr = forwardedFor(r.Header.Values("X-Forwarded-For"), addr, trusted)
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// forwardedFor walks the X-Forwarded-For hops from the right and returns
// the first that is not a trusted proxy; peer when there are none, or the
// last trusted hop when the next is not an address.
func forwardedFor(headers []string, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	var hops []string
	for _, h := range headers {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return client
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			return client
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, which some
// proxies write with a port (203.0.113.9:41234, [2001:db8::1]:443) or an
// IPv6 one in brackets.
func parseHop(hop string) (netip.Addr, bool) {
	hop = strings.TrimSpace(hop)
	if a, err := netip.ParseAddr(hop); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]")); err == nil {
		return a, true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
