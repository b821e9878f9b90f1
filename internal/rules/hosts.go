package rules

import (
	"net/netip"
	"strconv"
	"strings"
)

// Which hosts hookd treats as private: loopback, private and link-local
// networks, cloud metadata services, the host itself, and every other way
// of writing one of those. The server refuses them as destinations (unless
// started with --allow-private-destinations), when a webhook is saved and
// again on the resolved address of every connection; URLProblem uses them
// to accept plain http only for such hosts.
//
// An IPv6 address that carries an IPv4 address (IPv4-mapped and
// -compatible, NAT64, 6to4, Teredo, SIIT) is judged by the IPv4 address it
// leads to, or refused whole where the prefix has no other use; IPv4
// written in the old inet_aton forms (2130706433, 0177.0.0.1, 0x7f000001,
// 127.1) is recognised as the address it means.

// refusedPrefixes are the ranges netip's predicates do not cover.
var refusedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"; 0.x.y.z reaches the host itself on Linux
	netip.MustParsePrefix("100.64.0.0/10"),     // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved, and the broadcast address
	netip.MustParsePrefix("::/96"),             // IPv4-compatible IPv6 (deprecated), :: and ::1 included
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64, well-known prefix: reaches any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),    // NAT64, local-use prefix
	netip.MustParsePrefix("2002::/16"),         // 6to4: reaches the IPv4 address in bits 16-47
	netip.MustParsePrefix("fec0::/10"),         // site-local (deprecated)
	netip.MustParsePrefix("fd00:ec2::254/128"), // EC2 instance metadata over IPv6
	netip.MustParsePrefix("168.63.129.16/32"),  // Azure WireServer: VM agent, DNS and health probes; public space, reachable only from Azure VMs
}

var (
	teredo = netip.MustParsePrefix("2001::/32")
	siit   = netip.MustParsePrefix("::ffff:0:0:0/96") // IPv4-translated (RFC 2765)
)

// IsPrivateAddr reports whether addr is loopback, private, link-local (cloud
// metadata services live there), unspecified, multicast, shared or reserved
// space, or an IPv6 address that leads to one of those IPv4 addresses.
func IsPrivateAddr(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsUnspecified() ||
		addr.IsMulticast() {
		return true
	}
	for _, p := range refusedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	if v4, ok := embeddedIPv4(addr); ok {
		return IsPrivateAddr(v4)
	}
	return false
}

// embeddedIPv4 returns the IPv4 address an IPv6 address leads to through a
// translation prefix that is not refused whole: Teredo's client address
// (the last 32 bits, inverted) and SIIT's IPv4-translated addresses.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case teredo.Contains(addr):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	case siit.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	}
	return netip.Addr{}, false
}

// ParseHost parses a URL's host as an IP address: a standard literal
// (brackets, a zone, a trailing dot allowed) or IPv4 in one of the inet_aton
// forms resolvers and browsers still accept. legacy is true for the latter.
func ParseHost(host string) (addr netip.Addr, legacy bool, ok bool) {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		return a, false, true
	}
	if a, ok := parseLegacyIPv4(host); ok {
		return a, true, true
	}
	return netip.Addr{}, false, false
}

// parseLegacyIPv4 parses the inet_aton forms: one to four parts, each
// decimal, octal (leading 0) or hex (0x), the last filling the remaining
// bytes (127.1 is 127.0.0.1, 2130706433 is 127.0.0.1).
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 || s == "" {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
			if digits == "" {
				digits = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// IsPrivateHost reports whether host is localhost or a literal address
// (any form ParseHost reads) that IsPrivateAddr refuses. Other names can
// only be judged once resolved.
func IsPrivateHost(host string) bool {
	name := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	addr, _, ok := ParseHost(host)
	return ok && IsPrivateAddr(addr)
}
