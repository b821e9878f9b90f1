package console

import (
	"strings"
	"testing"
)

// A problem's message is its detail, which holds its field errors already
// (the API writes each into it), with the request id: each error once.
func TestProblemMessage(t *testing.T) {
	p := &apiProblem{Status: 422, Code: "validation_failed", RequestID: "req_1",
		Detail: `status: must be one of pending, retrying, succeeded, dead_lettered, canceled; got "bogus"`}
	p.Errors = append(p.Errors, struct {
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	}{"#/status", `must be one of pending, retrying, succeeded, dead_lettered, canceled; got "bogus"`})
	want := `status: must be one of pending, retrying, succeeded, dead_lettered, canceled; got "bogus" (request req_1)`
	if got := p.Error(); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	// An error the detail does not hold (no API problem is written so):
	// added, not lost.
	p.Detail = "the request is invalid"
	if got := p.Error(); strings.Count(got, "must be one of") != 1 || !strings.HasPrefix(got, "the request is invalid; status: must be") {
		t.Errorf("message %q", got)
	}
}
