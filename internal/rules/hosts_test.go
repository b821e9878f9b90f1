package rules_test

import (
	"net/netip"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Every range of the IANA special-purpose registries that is not globally
// reachable is refused, with what it is; the globally reachable blocks
// inside them are not.
func TestRefusedAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":                            "a loopback address",
		"::1":                                  "a loopback address",
		"10.1.2.3":                             "a private address",
		"fd12::1":                              "a private address",
		"169.254.169.254":                      "a link-local address (cloud metadata services live there)",
		"fe80::1":                              "a link-local address (cloud metadata services live there)",
		"0.0.0.0":                              "the unspecified address (it reaches the host itself)",
		"::":                                   "the unspecified address (it reaches the host itself)",
		"224.0.0.1":                            "a multicast address",
		"ff02::1":                              "a multicast address",
		"0.1.2.3":                              `a "this network" address (0.x.y.z reaches the host itself on Linux)`,
		"100.64.0.1":                           "a shared (carrier-grade NAT) address",
		"192.0.0.170":                          "an IETF protocol assignment address",
		"192.0.2.1":                            "a documentation address (TEST-NET-1)",
		"198.18.0.1":                           "a benchmarking address",
		"198.51.100.7":                         "a documentation address (TEST-NET-2)",
		"203.0.113.9":                          "a documentation address (TEST-NET-3)",
		"240.0.0.1":                            "a reserved address",
		"255.255.255.255":                      "a reserved address",
		"168.63.129.16":                        "Azure's WireServer (VM agent, DNS and health probes; reachable only from Azure VMs)",
		"::ffff:127.0.0.1":                     "a loopback address",
		"::8.8.8.8":                            "an IPv4-compatible IPv6 address (deprecated)",
		"::ffff:0:8.8.8.8":                     "an IPv4-translated (SIIT) address",
		"64:ff9b::808:808":                     "a NAT64 address (it reaches any IPv4 address)",
		"64:ff9b:1::1":                         "a local-use NAT64 address",
		"100::1":                               "a discard-only address",
		"100:0:0:1::1":                         "a dummy IPv6 prefix address",
		"100:1::1":                             "an IPv6 address outside global unicast space (2000::/3): reserved or unassigned",
		"4000::1":                              "an IPv6 address outside global unicast space (2000::/3): reserved or unassigned",
		"2001:2::1":                            "a benchmarking address",
		"2001:10::1":                           "an ORCHID address (deprecated)",
		"2001:5::1":                            "an IETF protocol assignment address that is not globally reachable",
		"2001:1::4":                            "an IETF protocol assignment address that is not globally reachable",
		"2001:db8::1":                          "a documentation address",
		"2001:db8:ffff::1":                     "a documentation address",
		"2002:808:808::1":                      "a 6to4 address (it reaches the IPv4 address in bits 16-47)",
		"3fff::1":                              "a documentation address",
		"3fff:fff::1":                          "a documentation address",
		"5f00::1":                              "an SRv6 segment identifier",
		"fec0::1":                              "a site-local address (deprecated)",
		"2001:0:4136:e378:8000:63bf:80ff:fffe": "a Teredo address whose client is 127.0.0.1, a loopback address",
		// Public: nothing to say.
		"8.8.8.8": "", "93.184.216.34": "", "100.128.0.1": "", "192.0.3.1": "", "203.0.114.1": "",
		"2606:4700::1111": "", "2a00:1450:4001:82a::200e": "", "3fff:1000::1": "", "2001:1::1": "", "2001:1::2": "",
		"2001:1::3": "", "2001:3::1": "", "2001:4:112::1": "", "2001:20::1": "", "2001:30::1": "", "2620:4f:8000::1": "",
		"2001:0:4136:e378:8000:63bf:f7f7:f7f7": "", // Teredo, client 8.8.8.8
	} {
		a := netip.MustParseAddr(addr)
		if got := rules.RefusedAddr(a); got != want {
			t.Errorf("RefusedAddr(%s) = %q, want %q", addr, got, want)
		}
		if got := rules.IsPrivateAddr(a); got != (want != "") {
			t.Errorf("IsPrivateAddr(%s) = %v", addr, got)
		}
	}
}

// A host that is not ASCII is judged as HTTP clients dial it, once IDNA
// has mapped it to ASCII.
func TestIsPrivateHostMapsLookAlikes(t *testing.T) {
	for host, want := range map[string]bool{
		"①②⑦.0.0.1": true, "127。0。0。1": true, "１２７．０．０．１": true, "ｌｏｃａｌｈｏｓｔ": true, "ＬＯＣＡＬＨＯＳＴ.": true,
		"api.ｌｏｃａｌｈｏｓｔ": true, "１０.０.０.１": true, "２１３０７０６４３３": true,
		"ｅｘａｍｐｌｅ.com": false, "bücher.de": false, "８.８.８.８": false,
	} {
		if got := rules.IsPrivateHost(host); got != want {
			t.Errorf("IsPrivateHost(%q) = %v, want %v", host, got, want)
		}
	}
	for host, want := range map[string]string{"①②⑦.0.0.1": "127.0.0.1", "ＬＯＣＡＬＨＯＳＴ": "localhost", "bücher.de": "xn--bcher-kva.de", "example.com": "example.com"} {
		if got := rules.ASCIIHost(host); got != want {
			t.Errorf("ASCIIHost(%q) = %q, want %q", host, got, want)
		}
	}
}
