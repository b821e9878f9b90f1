package console

import (
	"encoding/json"
	"net/http"
	"strings"
)

// offDetail says why there is no console, and how to have one.
const offDetail = "The web console is turned off on this server: start hookd with --console=true " +
	"(or HOOKD_CONSOLE=true, the default) to serve it under /console/. The Hooks API under /v1/ answers as usual."

// Off is what a hookd started with --console=false answers under
// Prefix: 404, saying that the console is turned off and how to turn it
// on, as a plain page to a browser and as problem+json (the API's error
// shape) to anything else. Not the API's 401 for a request without a key:
// there is nothing here a key would open.
func Off() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(offDetail + "\n"))
			return
		}
		h.Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"type": "https://hookd.dev/problems/not_found", "title": "Not found", "status": http.StatusNotFound,
			"detail": offDetail, "instance": r.URL.Path, "code": "not_found",
		})
	})
}
