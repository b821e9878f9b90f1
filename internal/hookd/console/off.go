package console

import (
	"net/http"
	"strings"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/problemdoc"
)

// offDetail says why there is no console, and how to have one.
const offDetail = "The web console is turned off on this server: start hookd with --console=true " +
	"(or HOOKD_CONSOLE=true, the default) to serve it under /console/. The Hooks API under /v1/ answers as usual."

// Off is what a hookd started with --console=false answers under
// Prefix: 404, saying that the console is turned off and how to turn it
// on, as a plain page to a browser and as problem+json (the API's error
// shape) to anything else, with a request id as the API's answers. Not the
// API's 401 for a request without a key: there is nothing here a key
// would open.
func Off() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			h.Set(problemdoc.HeaderRequestID, problemdoc.RequestID(r))
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(offDetail + "\n"))
			return
		}
		problemdoc.Standalone(w, r, http.StatusNotFound, "not_found", offDetail)
	})
}
