package metrics

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
)

// Listener is the handler of the metrics' own listener (--metrics-addr):
// GET (and HEAD) /metrics, without an API key. Anything else is answered
// as the API answers a mistake, with a problem+json document (not
// net/http's plain text) that says what this listener serves and where the
// API is.
func (m *Metrics) Listener() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ids.New("req_")
		w.Header().Set("X-Request-Id", id)
		switch {
		case r.URL.Path != "/metrics":
			writeProblem(w, r, id, http.StatusNotFound, "not_found", "Not found",
				fmt.Sprintf("no such endpoint: %s %s; this listener (--metrics-addr) serves only GET /metrics, without an API key: the Hooks API and the console are on the --addr listener", r.Method, r.URL.Path))
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			writeProblem(w, r, id, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed",
				fmt.Sprintf("%s is not allowed on /metrics; allowed: GET, HEAD", r.Method))
		default:
			m.handler.ServeHTTP(w, r)
		}
	})
}

// problem is the API's problem document (RFC 9457), as httpapi writes it.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, id string, status int, code, title, detail string) {
	body, _ := json.Marshal(problem{
		Type: "https://hookd.dev/problems/" + code, Title: title, Status: status, Detail: detail,
		Instance: r.URL.Path, Code: code, RequestID: id,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
