package httpapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/netpolicy"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
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
// not be empty (null is how a merge patch clears it) and may hold only the
// characters of kind.
func (e *fieldErrors) checkText(pointer, value string, maxLen int, kind rules.TextKind) {
	if detail := rules.TextProblem(value, maxLen, kind); detail != "" {
		e.add(pointer, "%s", detail)
	}
}

func (e *fieldErrors) checkURL(pointer, raw string, allowPrivate bool) {
	if detail := urlProblem(raw, allowPrivate); detail != "" {
		e.add(pointer, "%s", detail)
	}
}

// urlProblem returns why raw is not an acceptable destination, or "": the
// rule every hookd applies and the provider checks at plan time
// (rules.URLProblem), then this server's own: whether it delivers to
// private and loopback hosts. Only literal addresses can be judged here;
// names are checked again when a delivery dials them, so that DNS cannot be
// used to get around this.
func urlProblem(raw string, allowPrivate bool) string {
	if detail := rules.URLProblem(raw); detail != "" {
		return detail
	}
	u, err := url.Parse(raw)
	if err != nil || allowPrivate {
		return ""
	}
	kind := netpolicy.RefusedHost(u.Hostname())
	if kind == "" {
		return ""
	}
	if strings.EqualFold(u.Scheme, "http") {
		return fmt.Sprintf("must use https; plain http to the private host %q needs a server started with --allow-private-destinations", u.Hostname())
	}
	return fmt.Sprintf("points at %q, %s, which this server does not deliver to: use a public address, or start hookd with --allow-private-destinations to allow it (development)", u.Hostname(), kind)
}

// checkHeaders validates a complete header map (rules.CheckHeaders).
func (e *fieldErrors) checkHeaders(pointer string, headers map[string]string) {
	for _, p := range rules.CheckHeaders(headers) {
		e.addHeaderProblem(pointer, p)
	}
}

// createHeaders validates the headers of a create, where null is no value
// (encoding/json would store it as ""), and returns them without nulls.
func (e *fieldErrors) createHeaders(pointer string, given map[string]*string) map[string]string {
	headers := make(map[string]string, len(given))
	for name, value := range given {
		if value == nil {
			e.addHeaderProblem(pointer, rules.NullHeader(name))
			continue
		}
		headers[name] = *value
	}
	e.checkHeaders(pointer, headers)
	return headers
}

// checkHeadersPatch validates the headers member of a merge patch: its names
// must not differ only in case, and the values it sets must be valid. A
// name set to null (a removal) is checked for duplicates only; the count is
// checked on the merged result.
func (e *fieldErrors) checkHeadersPatch(pointer string, patch map[string]*string) {
	flat := make(map[string]string, len(patch))
	for name, value := range patch {
		if value != nil {
			flat[name] = *value
		} else {
			flat[name] = ""
		}
	}
	for _, p := range rules.CheckHeaders(flat) {
		if p.Kind == rules.HeaderDuplicate || (p.Kind != rules.HeaderTooMany && patch[p.Name] != nil) {
			e.addHeaderProblem(pointer, p)
		}
	}
}

func (e *fieldErrors) addHeaderProblem(pointer string, p rules.HeaderProblem) {
	if p.Kind != rules.HeaderTooMany {
		pointer += "/" + escapePointer(p.Name)
	}
	e.add(pointer, "%s", p.Detail)
}

// signingSecret returns the caller's secret when it is well formed, or a
// generated one when the caller gave none.
func (e *fieldErrors) signingSecret(pointer string, given *string) string {
	if given == nil {
		s, err := rules.NewSigningSecret(rules.DefaultSecretBytes)
		if err != nil {
			panic(err) // DefaultSecretBytes is within bounds
		}
		return s
	}
	if _, err := rules.ParseSigningSecret(*given); err != nil {
		e.add(pointer, "%v", err)
	}
	return *given
}

// normalizeEvents validates every pattern and returns the set sorted.
func (e *fieldErrors) normalizeEvents(pointer string, events []string, c *catalog.Catalog) []string {
	if problem := rules.EventCountProblem(len(events)); problem != "" {
		e.add(pointer, "%s", problem)
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
