package rules

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
)

// reservedHeaders are the names a webhook's custom headers may not use, in
// canonical form and sorted: the ones hookd (or Go's HTTP transport under
// it) sets on every delivery, and the hop-by-hop ones that would change how
// the request is sent rather than what it says.
var reservedHeaders = []string{
	"Accept-Encoding", // set by the transport; hookd reads the response body
	"Authorization",   // from auth_token
	"Connection",
	"Content-Length",
	"Content-Type",
	"Host",
	"Keep-Alive",
	"Proxy-Authorization",
	"TE",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
	"User-Agent",
}

// reservedHeaderPrefixes start every name hookd signs and labels deliveries
// with (Webhook-Id, Webhook-Signature, Hookd-Signature, Hookd-Attempt, ...).
var reservedHeaderPrefixes = []string{"Webhook-", "Hookd-"}

// ReservedHeaders returns the reserved header names (not the reserved
// prefixes, see IsReservedHeader), sorted.
func ReservedHeaders() []string { return append([]string(nil), reservedHeaders...) }

// IsReservedHeader reports whether a custom header may not use name
// (compared case-insensitively): a name hookd sets itself, a hop-by-hop
// name, or any name starting with Webhook- or Hookd-.
func IsReservedHeader(name string) bool {
	for _, p := range reservedHeaderPrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	for _, r := range reservedHeaders {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// reservedList is how the messages name the reserved headers.
var reservedList = strings.Join(reservedHeaders, ", ") + " and every name starting with " +
	strings.Join(reservedHeaderPrefixes, " or ")

// HeaderProblemKind is what is wrong in a HeaderProblem.
type HeaderProblemKind int

// Kinds of header problems.
const (
	HeaderTooMany      HeaderProblemKind = iota + 1 // more than MaxHeaders
	HeaderDuplicate                                 // a name that differs from another only in case
	HeaderInvalidName                               // not an HTTP token
	HeaderReserved                                  // IsReservedHeader
	HeaderInvalidValue                              // characters not allowed in a field value
	HeaderValueTooLong                              // more than MaxHeaderValueLength characters
	HeaderNullValue                                 // null instead of a string (see NullHeader)
)

// String is a short summary of the kind, such as "Reserved header name".
func (k HeaderProblemKind) String() string {
	switch k {
	case HeaderTooMany:
		return "Too many headers"
	case HeaderDuplicate:
		return "Duplicate header name"
	case HeaderInvalidName:
		return "Invalid header name"
	case HeaderReserved:
		return "Reserved header name"
	case HeaderInvalidValue:
		return "Invalid header value"
	case HeaderValueTooLong:
		return "Header value too long"
	case HeaderNullValue:
		return "Null header value"
	}
	return fmt.Sprintf("HeaderProblemKind(%d)", int(k))
}

// HeaderProblem is one finding of CheckHeaders.
type HeaderProblem struct {
	Kind HeaderProblemKind
	// Name is the header concerned, as written; "" for HeaderTooMany,
	// which concerns the whole set.
	Name string
	// Detail says what is wrong and what to do; it names the header.
	Detail string
}

// CheckHeaders checks a webhook's complete set of custom headers. Names are
// compared case-insensitively: of two names that differ only in case, the
// later one in sort order is a HeaderDuplicate and is not checked further.
// Every other name gets at most one finding, the first of: invalid name,
// reserved name, invalid value, value too long. Findings come in sorted
// name order, after a HeaderTooMany; nil means the set is valid.
//
// A caller that does not know some values yet (Terraform at plan time) can
// pass "" for them: the empty value is valid.
func CheckHeaders(headers map[string]string) []HeaderProblem {
	var out []HeaderProblem
	if len(headers) > MaxHeaders {
		out = append(out, HeaderProblem{Kind: HeaderTooMany,
			Detail: fmt.Sprintf("at most %d headers are allowed, got %d", MaxHeaders, len(headers))})
	}
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := make(map[string]string, len(names))
	for _, name := range names {
		key := strings.ToLower(name)
		if other, dup := seen[key]; dup {
			out = append(out, HeaderProblem{Kind: HeaderDuplicate, Name: name,
				Detail: fmt.Sprintf("%q and %q name the same header: HTTP header names are case-insensitive; keep one", other, name)})
			continue
		}
		seen[key] = name
		if p, bad := checkHeader(name, headers[name]); bad {
			out = append(out, p)
		}
	}
	return out
}

func checkHeader(name, value string) (HeaderProblem, bool) {
	p := HeaderProblem{Name: name}
	switch {
	case !httpguts.ValidHeaderFieldName(name):
		p.Kind = HeaderInvalidName
		p.Detail = fmt.Sprintf("%q is not a valid header name%s; use letters, digits and -", name, nameFault(name))
	case IsReservedHeader(name):
		p.Kind = HeaderReserved
		p.Detail = fmt.Sprintf("%q is reserved: hookd sets it on every delivery or it governs the connection (reserved: %s); use auth_token to send an Authorization header", name, reservedList)
	case InvalidUTF8(value) != "":
		p.Kind = HeaderInvalidValue
		p.Detail = fmt.Sprintf("the value of %q %s", name, InvalidUTF8(value))
	case valueFault(value) != "":
		p.Kind = HeaderInvalidValue
		p.Detail = fmt.Sprintf("the value of %q contains %s: control, bidirectional and zero-width characters are not allowed in header values; remove it", name, valueFault(value))
	case !httpguts.ValidHeaderFieldValue(value):
		// Not reached with valid UTF-8 free of control characters; kept so
		// that nothing net/http would refuse gets through.
		p.Kind = HeaderInvalidValue
		p.Detail = fmt.Sprintf("the value of %q contains characters not allowed in a header; remove them", name)
	case Length(value) > MaxHeaderValueLength:
		p.Kind = HeaderValueTooLong
		p.Detail = fmt.Sprintf("the value of %q %s", name, TooLong(value, MaxHeaderValueLength))
	default:
		return p, false
	}
	return p, true
}

// NullHeader is the problem of a header given as null where a value is
// needed (at creation, and in a Terraform configuration; in a merge patch,
// null removes the header).
func NullHeader(name string) HeaderProblem {
	return HeaderProblem{Kind: HeaderNullValue, Name: name,
		Detail: fmt.Sprintf("the value of %q is null: give a string (it may be empty), or leave the header out", name)}
}

// nameFault says which character makes name invalid: ": it contains U+0020
// (SPACE) at character 2", or ": it is empty".
func nameFault(name string) string {
	if name == "" {
		return ": it is empty"
	}
	if !utf8.ValidString(name) {
		return ": it is not valid UTF-8"
	}
	n := 0
	for _, r := range name {
		n++
		if r >= utf8.RuneSelf || !httpguts.IsTokenRune(r) {
			return fmt.Sprintf(": it contains %s at character %d", CharName(r), n)
		}
	}
	return ""
}

// valueFault names the first control or format character of a header value
// and its position ("U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4"), or
// returns "". Tabs are allowed, as HTTP allows them.
func valueFault(value string) string {
	if r, at, found := firstInvisible(value, true); found {
		return fmt.Sprintf("%s at character %d", CharName(r), at)
	}
	return ""
}
