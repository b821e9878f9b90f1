package metrics

import (
	"fmt"
	"net/http"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/problemdoc"
)

// Listener is the handler of the metrics' own listener (--metrics-addr):
// GET (and HEAD) /metrics, without an API key. Anything else is answered
// as the API answers a mistake, with a problem+json document (not
// net/http's plain text) that says what this listener serves and where the
// API is. Every answer carries a request id, as the API's do.
func (m *Metrics) Listener() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/metrics":
			problemdoc.Standalone(w, r, http.StatusNotFound, "not_found",
				fmt.Sprintf("no such endpoint: %s %s; this listener (--metrics-addr) serves only GET /metrics, without an API key: the Hooks API and the console are on the --addr listener", r.Method, r.URL.Path))
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			problemdoc.Standalone(w, r, http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("%s is not allowed on /metrics; allowed: GET, HEAD", r.Method))
		default:
			w.Header().Set(problemdoc.HeaderRequestID, problemdoc.RequestID(r))
			m.handler.ServeHTTP(w, r)
		}
	})
}
