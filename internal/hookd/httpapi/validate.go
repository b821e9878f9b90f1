package httpapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/netpolicy"
)

const (
	maxNameLength        = 100
	maxDescriptionLength = 1000
	maxURLLength         = 2048
	maxEvents            = 100
	maxHeaders           = 20
	maxHeaderValueLength = 1024
	maxAuthTokenLength   = 1024
)

// fieldErrors collects validation failures of one request.
type fieldErrors []FieldError

func (e *fieldErrors) add(pointer, format string, args ...any) {
	*e = append(*e, FieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

func (e fieldErrors) problem() *problem {
	if len(e) == 0 {
		return nil
	}
	return invalid(e)
}

// checkText validates an optional free-text field that, when present, must
// not be empty (null is how a merge patch clears it).
func (e *fieldErrors) checkText(pointer, value string, maxLen int) {
	switch n := utf8.RuneCountInString(value); {
	case n == 0:
		e.add(pointer, "must not be empty; omit it, or send null to clear it")
	case n > maxLen:
		e.add(pointer, "must be at most %d characters, got %d", maxLen, n)
	}
}

func (e *fieldErrors) checkURL(pointer, raw string, allowPrivate bool) {
	if detail := urlProblem(raw, allowPrivate); detail != "" {
		e.add(pointer, "%s", detail)
	}
}

// urlProblem returns why raw is not an acceptable destination, or "".
// Only literal addresses can be judged here; names are checked again when a
// delivery dials them, so that DNS cannot be used to get around this.
func urlProblem(raw string, allowPrivate bool) string {
	if len(raw) > maxURLLength {
		return fmt.Sprintf("must be at most %d characters, got %d", maxURLLength, len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL such as https://example.com/webhooks"
	}
	if u.User != nil {
		return "must not contain credentials (user:password@); use auth_token or headers instead"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not contain a fragment (#...)"
	}
	private := netpolicy.IsPrivateHost(u.Hostname())
	switch strings.ToLower(u.Scheme) {
	case "https":
		if private && !allowPrivate {
			return fmt.Sprintf("points at the private or loopback host %q, which this server does not deliver to (start hookd with --allow-private-destinations to allow it)", u.Hostname())
		}
	case "http":
		if !private {
			return "must use https; plain http is accepted only for loopback and private hosts"
		}
		if !allowPrivate {
			return fmt.Sprintf("must use https; plain http to the private host %q needs a server started with --allow-private-destinations", u.Hostname())
		}
	default:
		return fmt.Sprintf("must use https, not %q", u.Scheme)
	}
	return ""
}

// reservedHeader reports whether a custom header name is one hookd sets
// itself or one that would break delivery.
func reservedHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "content-type", "content-length", "host", "user-agent",
		"connection", "transfer-encoding", "te", "upgrade", "trailer", "keep-alive", "proxy-authorization":
		return true
	}
	return strings.HasPrefix(n, "webhook-") || strings.HasPrefix(n, "hookd-")
}

func (e *fieldErrors) checkHeader(pointer, name, value string) {
	switch {
	case !httpguts.ValidHeaderFieldName(name):
		e.add(pointer, "%q is not a valid header name", name)
	case reservedHeader(name):
		e.add(pointer, "%q is reserved: hookd sets it itself (reserved: Authorization, Content-Type, Content-Length, Host, User-Agent, Connection, Transfer-Encoding and every Webhook-* and Hookd-* name); use auth_token for Authorization", name)
	case !httpguts.ValidHeaderFieldValue(value):
		e.add(pointer, "the value of %q contains characters not allowed in a header (such as line breaks)", name)
	case len(value) > maxHeaderValueLength:
		e.add(pointer, "the value of %q must be at most %d bytes, got %d", name, maxHeaderValueLength, len(value))
	}
}

// checkHeaders validates a complete header map: names are compared
// case-insensitively, so two that differ only in case are a conflict.
func (e *fieldErrors) checkHeaders(pointer string, headers map[string]string) {
	if len(headers) > maxHeaders {
		e.add(pointer, "at most %d headers are allowed, got %d", maxHeaders, len(headers))
	}
	seen := map[string]string{}
	for _, name := range sortedKeys(headers) {
		p := pointer + "/" + escapePointer(name)
		if other, dup := seen[strings.ToLower(name)]; dup {
			e.add(p, "%q duplicates %q: header names are case-insensitive", name, other)
			continue
		}
		seen[strings.ToLower(name)] = name
		e.checkHeader(p, name, headers[name])
	}
}

// normalizeEvents validates every pattern and returns the set sorted.
func (e *fieldErrors) normalizeEvents(pointer string, events []string, c *catalog.Catalog) []string {
	if len(events) == 0 {
		e.add(pointer, "must list at least one event type, category wildcard (such as \"transfer.*\") or \"*\"")
		return nil
	}
	if len(events) > maxEvents {
		e.add(pointer, "at most %d entries are allowed, got %d", maxEvents, len(events))
		return nil
	}
	set := map[string]bool{}
	for i, ev := range events {
		if err := c.ValidatePattern(ev); err != nil {
			e.add(fmt.Sprintf("%s/%d", pointer, i), "%v", err)
			continue
		}
		set[ev] = true
	}
	out := make([]string, 0, len(set))
	for ev := range set {
		out = append(out, ev)
	}
	sort.Strings(out)
	return out
}
