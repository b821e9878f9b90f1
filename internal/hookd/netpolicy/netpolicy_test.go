package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestIsPrivateAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.1.1": true, "0.0.0.0": true, "::1": true, "fe80::1": true, "fc00::1": true, "fd00:ec2::254": true,
		"::ffff:127.0.0.1": true, "224.0.0.1": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1111": false, "100.128.0.1": false,
	} {
		if got := IsPrivateAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPrivateAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	for host, want := range map[string]bool{"localhost": true, "api.localhost": true, "LOCALHOST.": true, "[::1]": true, "example.com": false, "10.1.1.1": true} {
		if got := IsPrivateHost(host); got != want {
			t.Errorf("IsPrivateHost(%s) = %v, want %v", host, got, want)
		}
	}
}

// The check runs on the dialled address: a loopback listener is refused.
func TestControlRefusesAtDialTime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := &net.Dialer{Timeout: time.Second, Control: Control}
	// "localhost" is a name: only the resolved address reveals it is loopback.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, err = d.DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("dial localhost: %v, want a RefusedError", err)
	}
	// It says what the address is, for the attempt's detail.
	if refused.Kind != "a loopback address" || !strings.HasSuffix(refused.Address, ":"+port) {
		t.Errorf("refused %s, %q; want the loopback address dialled", refused.Address, refused.Kind)
	}
}
