package rules

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// URLExample is a webhook URL for messages.
const URLExample = "https://example.com/webhooks"

// URLProblem returns why raw is not a webhook URL any hookd accepts, or "":
// everything that can be said of the text alone, the same on every server.
// What depends on the server's configuration (a private or loopback
// destination, accepted only by a server started with
// --allow-private-destinations) and on DNS (the address a name resolves
// to, checked when a delivery dials it) is left to the server.
//
// The rule: at most MaxURLLength characters of one line; an absolute URL;
// no credentials (user:password@) and no fragment; a port, when given,
// from 1 to 65535; the host, when an IPv4 address, written in the standard
// dotted form, and never an address or localhost in other characters than
// ASCII (which HTTP clients map to it); https, or plain http to a
// loopback or private host (localhost or a literal address IsPrivateHost
// refuses), the only hosts a server may be configured to reach over http.
func URLProblem(raw string) string {
	if detail := TooLong(raw, MaxURLLength); detail != "" {
		return detail
	}
	// Before parsing: url.Parse refuses ASCII controls only, and a URL
	// with U+202E or U+200B would show one destination in plans and the
	// console and deliver to another.
	if detail := CharProblem(raw, OneLine); detail != "" {
		return detail
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL such as " + URLExample
	}
	if u.User != nil {
		return "must not contain credentials (user:password@); remove them and send them with auth_token or headers instead"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not contain a fragment (#...), which is never sent to the receiver; remove the # and what follows it"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("must have a port from 1 to 65535, got %s; write the port the receiver listens on, or leave it out for the default (443 with https)", port)
		}
	}
	if addr, legacy, _ := ParseHost(u.Hostname()); legacy {
		// Receivers, proxies and people read these forms differently; the
		// standard one is unambiguous.
		return fmt.Sprintf("has the host %q, an IPv4 address in a non-standard form; write it as %s", u.Hostname(), addr)
	}
	if ascii := disguisedHost(u.Hostname()); ascii != "" {
		// HTTP clients map it to an address or localhost before they dial:
		// a spelling that hides where deliveries go.
		return fmt.Sprintf("has the host %q, which HTTP clients read as %s (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as %s", u.Hostname(), ascii, ascii)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsPrivateHost(u.Hostname()) {
			return "must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://"
		}
	default:
		return fmt.Sprintf("must use https, not %q: write https:// instead of %s://", u.Scheme, u.Scheme)
	}
	return ""
}
