package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Which hosts hookd treats as private: loopback, private and link-local
// networks, cloud metadata services, the host itself, every other address
// the IANA special-purpose registries say is not globally reachable
// (shared, reserved, benchmarking and documentation space, and every IPv6
// address outside 2000::/3), and every other way of writing one of those.
// The server refuses them as destinations (unless started with
// --allow-private-destinations), when a webhook is saved and again on the
// resolved address of every connection; URLProblem uses them to accept
// plain http only for such hosts.
//
// An IPv6 address that carries an IPv4 address is judged by the IPv4
// address it leads to (IPv4-mapped, Teredo), or refused whole where the
// prefix has no other use (IPv4-compatible, NAT64, 6to4, SIIT); IPv4
// written in the old inet_aton forms (2130706433, 0177.0.0.1, 0x7f000001,
// 127.1) is recognised as the address it means, and a host in other
// characters that IDNA maps to an address or to localhost (①②⑦.0.0.1,
// ｌｏｃａｌｈｏｓｔ) as what it maps to.

// refusedRange is a range hookd does not deliver to, with what it is.
type refusedRange struct {
	prefix netip.Prefix
	kind   string
}

func special(prefix, kind string) refusedRange {
	return refusedRange{netip.MustParsePrefix(prefix), kind}
}

// refusedPrefixes are the ranges netip's predicates do not cover: those of
// the IANA special-purpose address registries (IPv4 and IPv6) that are not
// globally reachable, and cloud metadata services in public space.
var refusedPrefixes = []refusedRange{
	special("0.0.0.0/8", `a "this network" address (0.x.y.z reaches the host itself on Linux)`),
	special("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
	special("192.0.0.0/24", "an IETF protocol assignment address"),
	special("192.0.2.0/24", "a documentation address (TEST-NET-1)"),
	special("198.18.0.0/15", "a benchmarking address"),
	special("198.51.100.0/24", "a documentation address (TEST-NET-2)"),
	special("203.0.113.0/24", "a documentation address (TEST-NET-3)"),
	special("240.0.0.0/4", "a reserved address"),
	special("168.63.129.16/32", "Azure's WireServer (VM agent, DNS and health probes; reachable only from Azure VMs)"),
	special("::/96", "an IPv4-compatible IPv6 address (deprecated)"),
	special("::ffff:0:0:0/96", "an IPv4-translated (SIIT) address"),
	special("64:ff9b::/96", "a NAT64 address (it reaches any IPv4 address)"),
	special("64:ff9b:1::/48", "a local-use NAT64 address"),
	special("100::/64", "a discard-only address"),
	special("100:0:0:1::/64", "a dummy IPv6 prefix address"),
	special("2001:2::/48", "a benchmarking address"),
	special("2001:10::/28", "an ORCHID address (deprecated)"),
	special("2001:db8::/32", "a documentation address"),
	special("2002::/16", "a 6to4 address (it reaches the IPv4 address in bits 16-47)"),
	special("3fff::/20", "a documentation address"),
	special("5f00::/16", "an SRv6 segment identifier"),
	special("fec0::/10", "a site-local address (deprecated)"),
	special("fd00:ec2::254/128", "EC2's instance metadata service"),
}

var (
	teredo = netip.MustParsePrefix("2001::/32")
	// globalUnicast is the only IPv6 space allocated for global unicast:
	// the rest is reserved or unassigned.
	globalUnicast = netip.MustParsePrefix("2000::/3")
	// ietfProtocolAssignments are not globally reachable but for the
	// blocks of globallyReachable (and Teredo, judged by its client).
	ietfProtocolAssignments = netip.MustParsePrefix("2001::/23")
	globallyReachable       = []netip.Prefix{
		netip.MustParsePrefix("2001:1::1/128"),   // Port Control Protocol anycast
		netip.MustParsePrefix("2001:1::2/128"),   // TURN anycast
		netip.MustParsePrefix("2001:1::3/128"),   // DNS-SD service registration protocol anycast
		netip.MustParsePrefix("2001:3::/32"),     // AMT
		netip.MustParsePrefix("2001:4:112::/48"), // AS112-v6
		netip.MustParsePrefix("2001:20::/28"),    // ORCHIDv2
		netip.MustParsePrefix("2001:30::/28"),    // Drone remote ID
	}
)

// IsPrivateAddr reports whether addr is loopback, private, link-local (cloud
// metadata services live there), unspecified, multicast, shared, reserved
// or documentation space, or any other address that is not globally
// reachable, or an IPv6 address that leads to one of those IPv4 addresses:
// whether RefusedAddr names a reason.
func IsPrivateAddr(addr netip.Addr) bool { return RefusedAddr(addr) != "" }

// RefusedAddr says what addr is when hookd does not deliver to it ("a
// loopback address", "a documentation address", ...), for messages; ""
// when addr is a public address hookd delivers to.
func RefusedAddr(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	switch {
	case !addr.IsValid():
		return "not an IP address"
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata services live there)"
	case addr.IsUnspecified():
		return "the unspecified address (it reaches the host itself)"
	case addr.IsMulticast():
		return "a multicast address"
	}
	for _, r := range refusedPrefixes {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	if addr.Is6() && !globalUnicast.Contains(addr) {
		return "an IPv6 address outside global unicast space (2000::/3): reserved or unassigned"
	}
	if teredo.Contains(addr) {
		b := addr.As16()
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		if kind := RefusedAddr(client); kind != "" {
			return fmt.Sprintf("a Teredo address whose client is %s, %s", client, kind)
		}
		return ""
	}
	if ietfProtocolAssignments.Contains(addr) && !slices.ContainsFunc(globallyReachable, func(p netip.Prefix) bool { return p.Contains(addr) }) {
		return "an IETF protocol assignment address that is not globally reachable"
	}
	return ""
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
// (any form ParseHost reads) that IsPrivateAddr refuses, once mapped as
// HTTP clients map it (ASCIIHost): whether RefusedHost names a reason.
// Other names can only be judged once resolved.
func IsPrivateHost(host string) bool { return RefusedHost(host) != "" }

// RefusedHost says what host, a URL's host, is when hookd does not deliver
// to it ("a loopback name", or RefusedAddr's words for a literal address),
// "" otherwise.
func RefusedHost(host string) string {
	name := ASCIIHost(strings.Trim(host, "[]"))
	if isLocalhost(name) {
		return "a loopback name"
	}
	if addr, _, ok := ParseHost(name); ok {
		return RefusedAddr(addr)
	}
	return ""
}

// isLocalhost reports whether name (ASCII) is localhost or a name under it.
func isLocalhost(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// ASCIIHost is host as Go's HTTP client dials it: a host that is not all
// ASCII goes through IDNA (UTS #46, the lookup profile net/http applies),
// which maps fullwidth and other compatibility characters to ASCII, so
// that ｌｏｃａｌｈｏｓｔ is localhost and ①②⑦。0。0。1 is 127.0.0.1. A host
// IDNA refuses is returned as it is: net/http dials it as it is too, and
// it resolves to nothing.
func ASCIIHost(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			if a, err := idna.Lookup.ToASCII(host); err == nil {
				return a
			}
			return host
		}
	}
	return host
}

// disguisedHost returns the spelling to use instead of host, a URL's host
// that is not all ASCII, when HTTP clients map it to an IP address or to
// localhost (ASCIIHost): "" otherwise.
func disguisedHost(host string) string {
	a := ASCIIHost(host)
	if a == host {
		return ""
	}
	if isLocalhost(a) {
		return strings.ToLower(a)
	}
	addr, _, ok := ParseHost(a)
	if !ok {
		return ""
	}
	if addr.Is6() && !addr.Is4In6() {
		return "[" + addr.String() + "]"
	}
	return addr.String()
}
