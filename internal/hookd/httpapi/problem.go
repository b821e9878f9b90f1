package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/problemdoc"
)

// Problem codes: stable strings clients switch on (see api/openapi.yaml).
const (
	codeBadRequest                 = "bad_request"
	codeUnauthorized               = "unauthorized"
	codeNotFound                   = "not_found"
	codeMethodNotAllowed           = "method_not_allowed"
	codeConflict                   = "conflict"
	codeGroupNotEmpty              = "group_not_empty"
	codeIdempotencyInFlight        = "idempotency_key_in_flight"
	codeIdempotencyKeyReused       = "idempotency_key_reused"
	codePayloadTooLarge            = "payload_too_large"
	codeUnsupportedMediaType       = "unsupported_media_type"
	codeValidationFailed           = "validation_failed"
	codeRateLimited                = "rate_limited"
	codeInternalError              = "internal_error"
	codeNotReady                   = "not_ready"
	problemTypeBase                = problemdoc.TypeBase
	contentTypeJSON                = "application/json"
	contentTypeProblem             = problemdoc.ContentType
	contentTypeMergePatch          = "application/merge-patch+json"
	headerRequestID                = problemdoc.HeaderRequestID
	headerIdempotencyKey           = "Idempotency-Key"
	headerIdempotentReplayed       = "Idempotent-Replayed"
	maxIdempotencyKeyLength        = 255
	maxBodyBytes             int64 = 1 << 20
)

// FieldError points at one invalid field: a JSON pointer into the body, or
// "#/<name>" for a query parameter.
type FieldError = problemdoc.FieldError

// problem is an RFC 9457 problem document and also the error type handlers
// return, so that every failure path ends in the same writer.
type problem struct {
	problemdoc.Document

	retryAfterSeconds int
}

func (p *problem) Error() string { return p.Code + ": " + p.Detail }

func newProblem(status int, code, format string, args ...any) *problem {
	return &problem{Document: problemdoc.Document{Status: status, Code: code, Detail: fmt.Sprintf(format, args...)}}
}

func badRequest(format string, args ...any) *problem {
	return newProblem(http.StatusBadRequest, codeBadRequest, format, args...)
}

func notFound(format string, args ...any) *problem {
	return newProblem(http.StatusNotFound, codeNotFound, format, args...)
}

// unknownGroup is the 404 of a group id in a request body, well formed,
// that names no group: the detail and the error at pointer say what to do.
// (The path's and the query's 404s carry no errors: the provider shows a
// problem's field errors instead of its detail, and its users read that
// detail today.)
func unknownGroup(pointer, id string) *problem {
	const fix = "check group_id (GET /v1/groups lists the groups), or create the group first"
	p := notFound("group %q not found; %s", id, fix)
	p.Errors = []FieldError{{Pointer: pointer, Detail: "names no group; " + fix}}
	return p
}

// invalid builds a 422 from field errors; the detail repeats them so that a
// client that shows only `detail` still tells the user everything.
func invalid(errs []FieldError) *problem {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = strings.TrimPrefix(strings.TrimPrefix(e.Pointer, "#"), "/") + ": " + e.Detail
		if e.Pointer == "" {
			parts[i] = e.Detail
		}
	}
	p := newProblem(http.StatusUnprocessableEntity, codeValidationFailed, "%s", strings.Join(parts, "; "))
	p.Errors = errs
	return p
}

func invalidField(pointer, format string, args ...any) *problem {
	return invalid([]FieldError{{Pointer: pointer, Detail: fmt.Sprintf(format, args...)}})
}

// writeProblem writes p with the request's id and path filled in.
func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	p.Fill(r, requestIDFrom(r.Context()))
	if p.retryAfterSeconds > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(p.retryAfterSeconds))
	}
	problemdoc.Write(w, &p.Document)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, contentTypeJSON, v)
}

func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled; failing here is a bug worth a 500.
		status, contentType = http.StatusInternalServerError, contentTypeProblem
		body = []byte(`{"type":"` + problemTypeBase + codeInternalError + `","title":"Internal error","status":500,"detail":"cannot encode the response","code":"internal_error","request_id":""}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
