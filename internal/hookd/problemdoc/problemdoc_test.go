package problemdoc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/problemdoc"
)

// Standalone writes the API's problem shape with a request id of its own,
// in the header and the document alike, keeping a caller's plain id.
func TestStandalone(t *testing.T) {
	for _, tc := range []struct{ sent, want string }{
		{"", "req_"},
		{"trace-42:a.b_c", "trace-42:a.b_c"},
		{"not plain <id>", "req_"},
		{strings.Repeat("x", 129), "req_"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics/x", nil)
		if tc.sent != "" {
			r.Header.Set("X-Request-Id", tc.sent)
		}
		w := httptest.NewRecorder()
		w.Header().Set("Allow", "GET, HEAD")
		problemdoc.Standalone(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		var d problemdoc.Document
		if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		id := w.Header().Get("X-Request-Id")
		want := problemdoc.Document{Type: "https://hookd.dev/problems/method_not_allowed", Title: "Method not allowed", Status: 405,
			Detail: "use GET", Instance: "/metrics/x", Code: "method_not_allowed", RequestID: id}
		if w.Code != 405 || w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("Allow") != "GET, HEAD" ||
			!strings.HasPrefix(id, tc.want) || (tc.want != "req_" && id != tc.want) || d.Type != want.Type || d.Title != want.Title ||
			d.Status != want.Status || d.Detail != want.Detail || d.Instance != want.Instance || d.Code != want.Code || d.RequestID != id {
			t.Errorf("sent id %q: %d %v\n%s", tc.sent, w.Code, w.Header(), w.Body.String())
		}
	}
}

// Every code has a title; one hookd does not have has none.
func TestTitle(t *testing.T) {
	if problemdoc.Title("rate_limited") != "Rate limited" || problemdoc.Title("nope") != "" {
		t.Error(problemdoc.Title("rate_limited"), problemdoc.Title("nope"))
	}
}
