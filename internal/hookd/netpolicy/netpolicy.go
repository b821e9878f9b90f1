// Package netpolicy decides which destinations hookd may deliver to. The
// API checks literal addresses when a webhook is saved; the delivery dialer
// checks the resolved address of every connection, so that a DNS name that
// later resolves to a private address (DNS rebinding) is refused too.
//
// Which addresses are refused, in every form they can be written (inet_aton
// IPv4, IPv6 that carries IPv4), is rules.IsPrivateAddr's list: the
// provider's plan-time URL check (rules.URLProblem) reads it too.
package netpolicy

import (
	"fmt"
	"net/netip"
	"syscall"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// IsPrivateAddr reports whether hookd refuses to deliver to addr
// (rules.IsPrivateAddr, where the list of refused ranges lives: the
// provider's plan-time URL check needs it too).
func IsPrivateAddr(addr netip.Addr) bool { return rules.IsPrivateAddr(addr) }

// ParseHost parses a URL's host as an IP address (rules.ParseHost).
func ParseHost(host string) (addr netip.Addr, legacy bool, ok bool) { return rules.ParseHost(host) }

// IsPrivateHost reports whether host is localhost or a refused literal
// address (rules.IsPrivateHost).
func IsPrivateHost(host string) bool { return rules.IsPrivateHost(host) }

// RefusedHost says what host is when hookd refuses it ("a loopback name",
// "a documentation address", ...), "" otherwise (rules.RefusedHost).
func RefusedHost(host string) string { return rules.RefusedHost(host) }

// RefusedError is returned by the dialer's Control for a refused address.
type RefusedError struct {
	Address string // the address dialled, host:port
	Kind    string // what it is (rules.RefusedAddr): "a loopback address", ...
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused destination %s, %s: only public addresses are allowed (start hookd with --allow-private-destinations to allow private and loopback addresses)", e.Address, e.Kind)
}

// Control is a net.Dialer Control function that refuses private addresses.
// It runs after name resolution, on the address actually dialled, before
// the connection is made.
func Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Address: address, Kind: "not an IP address and port"}
	}
	if kind := rules.RefusedAddr(ap.Addr()); kind != "" {
		return &RefusedError{Address: address, Kind: kind}
	}
	return nil
}
