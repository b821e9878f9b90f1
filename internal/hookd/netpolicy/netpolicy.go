// Package netpolicy decides which destinations hookd may deliver to. The
// API checks literal addresses when a webhook is saved; the delivery dialer
// checks the resolved address of every connection, so that a DNS name that
// later resolves to a private address (DNS rebinding) is refused too.
package netpolicy

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// sharedAddressSpace (100.64.0.0/10, carrier-grade NAT) is not covered by
// netip's IsPrivate.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// awsIPv6Metadata is the IPv6 address of the EC2 instance metadata service.
var awsIPv6Metadata = netip.MustParseAddr("fd00:ec2::254")

// IsPrivateAddr reports whether addr is loopback, private, link-local (cloud
// metadata services live there), unspecified, multicast or shared space.
func IsPrivateAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsUnspecified() ||
		addr.IsMulticast() || sharedAddressSpace.Contains(addr) || addr == awsIPv6Metadata
}

// IsPrivateHost reports whether host is localhost or a literal private
// address by IsPrivateAddr. Other names can only be judged once resolved.
func IsPrivateHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && IsPrivateAddr(addr)
}

// RefusedError is returned by the dialer's Control for a refused address.
type RefusedError struct{ Address string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused destination %s: private, loopback and link-local addresses are not allowed (start hookd with --allow-private-destinations to allow them)", e.Address)
}

// Control is a net.Dialer Control function that refuses private addresses.
// It runs after name resolution, on the address actually dialled.
func Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Address: address}
	}
	if IsPrivateAddr(ap.Addr()) {
		return &RefusedError{Address: address}
	}
	return nil
}
