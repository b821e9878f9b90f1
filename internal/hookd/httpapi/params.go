package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// idShape says why a string is not an id of some kind ("" when it is one).
type idShape interface{ Problem(s string) string }

// pathIDs are the path wildcards that hold ids, with the shape each must
// have (rules.IDKind, the provider checks the same; an event id is the
// shape POST /v1/events accepts).
var pathIDs = map[string]idShape{
	"group_id":    rules.GroupID,
	"webhook_id":  rules.WebhookID,
	"delivery_id": rules.DeliveryID,
	"event_id":    eventIDShape{},
}

// badParameter is the 400 of a path or query parameter: the detail names
// it, and errors points at it ("#/<name>", as for other parameters).
func badParameter(in, name, detail string) *problem {
	p := badRequest("%s parameter %s %s", in, name, detail)
	p.Errors = []FieldError{{Pointer: "#/" + name, Detail: detail}}
	return p
}

// withPathIDs checks the id wildcards of pattern before any handler of m
// runs: an id of the wrong shape is a 400 naming the parameter, never a
// lookup that answers "not found" for something that cannot exist.
func withPathIDs(pattern string, m methods) methods {
	var names []string
	for name := range pathIDs {
		if strings.Contains(pattern, "{"+name+"}") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return m
	}
	sort.Strings(names)
	out := make(methods, len(m))
	for method, h := range m {
		out[method] = func(w http.ResponseWriter, r *http.Request) {
			for _, name := range names {
				if detail := pathIDs[name].Problem(r.PathValue(name)); detail != "" {
					writeProblem(w, r, badParameter("path", name, detail))
					return
				}
			}
			h(w, r)
		}
	}
	return out
}

// pageParams are the query parameters of every list.
var pageParams = []string{"cursor", "limit"}

// queryParams are the query parameters each operation takes, by method and
// route, as api/openapi.yaml lists them (TestQueryParamsMatchTheContract);
// an operation not listed takes none. Each takes one value.
var queryParams = map[string][]string{
	"GET /v1/groups":   append([]string{"name_prefix"}, pageParams...),
	"GET /v1/webhooks": append([]string{"scope", "group_id", "active", "status", "event"}, pageParams...),
	"GET /v1/webhooks/{webhook_id}/deliveries": append([]string{
		"status", "event_type", "is_test", "created_after", "created_before", "include_total", "unrecovered",
	}, pageParams...),
	"GET /v1/webhooks/{webhook_id}/deliveries/stats": {"since", "until", "interval"},
}

// withQuery refuses, before any handler of m runs, a query parameter the
// operation does not take (a typo in a filter would otherwise list
// everything unfiltered), one given twice (which of the two would count?)
// and a query string that does not parse: a 400 naming the parameter and
// the ones the operation takes.
func withQuery(route string, m methods) methods {
	out := make(methods, len(m))
	for method, h := range m {
		known := queryParams[method+" "+route]
		out[method] = func(w http.ResponseWriter, r *http.Request) {
			if p := queryProblem(r, route, known); p != nil {
				writeProblem(w, r, p)
				return
			}
			h(w, r)
		}
	}
	return out
}

func queryProblem(r *http.Request, route string, known []string) *problem {
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("the query string is malformed (%v); percent-encode the values, and separate parameters with &", err)
	}
	for _, name := range sortedKeys(q) {
		switch {
		case !slices.Contains(known, name) && len(known) == 0:
			return badParameter("query", name, fmt.Sprintf("is unknown: %s %s takes no query parameters", r.Method, route))
		case !slices.Contains(known, name) && len(known) == 1:
			return badParameter("query", name, fmt.Sprintf("is unknown: %s %s takes only %s", r.Method, route, known[0]))
		case !slices.Contains(known, name):
			sorted := slices.Sorted(slices.Values(known))
			return badParameter("query", name, fmt.Sprintf("is unknown: %s %s takes %s and %s", r.Method, route,
				strings.Join(sorted[:len(sorted)-1], ", "), sorted[len(sorted)-1]))
		case len(q[name]) > 1:
			return badParameter("query", name, fmt.Sprintf("is given %d times; give it once", len(q[name])))
		}
	}
	return nil
}

// queryID reads an optional id from the query: "" when absent, a 400
// naming the parameter when present but not an id of kind (empty included:
// `group_id=` is a mistake, not "no filter").
func queryID(r *http.Request, name string, kind rules.IDKind) (string, *problem) {
	q := r.URL.Query()
	if !q.Has(name) {
		return "", nil
	}
	v := q.Get(name)
	if detail := kind.Problem(v); detail != "" {
		return "", badParameter("query", name, detail)
	}
	return v, nil
}

// emptyPathID names the id parameter that a path leaves empty
// (/v1/groups/, /v1/webhooks//deliveries), or returns "". net/http never
// matches a wildcard to an empty segment, so these reach no handler.
func emptyPathID(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(segs) < 3 || segs[0] != "v1" {
		return ""
	}
	switch segs[1] {
	case "groups":
		if segs[2] == "" {
			return "group_id"
		}
	case "webhooks":
		if segs[2] == "group" && len(segs) >= 4 && segs[3] == "" {
			return "group_id"
		}
		if segs[2] == "" {
			return "webhook_id"
		}
	case "deliveries":
		if segs[2] == "" {
			return "delivery_id"
		}
	case "events":
		if segs[2] == "" {
			return "event_id"
		}
	}
	return ""
}

// noSuchEndpoint answers a path no route serves: a 400 when it is a route
// with an empty id, a 404 otherwise.
func noSuchEndpoint(w http.ResponseWriter, r *http.Request, why string) {
	if name := emptyPathID(r.URL.Path); name != "" {
		writeProblem(w, r, badParameter("path", name, pathIDs[name].Problem("")))
		return
	}
	writeProblem(w, r, notFound("no such endpoint: %s %s%s", r.Method, r.URL.Path, why))
}

// withCanonicalPaths answers a path with ".", ".." or empty segments itself.
// net/http's ServeMux would redirect it to the cleaned path with an HTML
// body (307 or 301); an API client wants a problem document, and a path
// that names something else than it says is a mistake to report, not to
// follow.
func withCanonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !CanonicalPath(r.URL.Path) {
			noSuchEndpoint(w, r, `: paths must not have ".", ".." or empty segments`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CanonicalPath reports whether p has no ".", ".." or empty segment: a
// path ServeMux would serve as it is, not redirect.
func CanonicalPath(p string) bool {
	return p == "" || p == cleanPath(p)
}

// cleanPath is the path ServeMux would redirect to (its own cleanPath):
// path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			return p
		}
		np += "/"
	}
	return np
}

// groupIDMissing answers /v1/webhooks/group, the group create path
// without its group id, whatever the method: a 404 that says which path
// creates a group webhook (and, to a GET, which lists them).
func groupIDMissing(w http.ResponseWriter, r *http.Request) {
	fix := "POST /v1/webhooks/group/{group_id} creates a group webhook"
	switch r.Method {
	case http.MethodPost:
		fix = "the group id is missing: " + fix
	case http.MethodGet, http.MethodHead:
		fix += ", GET /v1/webhooks?scope=group lists them"
	}
	writeProblem(w, r, notFound("no such endpoint: %s %s; %s, and webhook ids start with %s", r.Method, r.URL.Path, fix, rules.WebhookID.Prefix))
}

// wrongMethodOnGroupCreate answers a method other than POST on
// /v1/webhooks/group/{group_id}. The path is also the shape of
// /v1/webhooks/{webhook_id}/{action} with webhook_id "group", which is no
// webhook id: so neither route serves it, and 404 says so (not a 405 that
// suggests POST would read deliveries).
func wrongMethodOnGroupCreate(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, notFound("no such endpoint: %s %s; %s", r.Method, r.URL.Path,
		fmt.Sprintf("POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with %s", rules.WebhookID.Prefix)))
}
