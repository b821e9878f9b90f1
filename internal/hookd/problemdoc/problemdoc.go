// Package problemdoc is the problem document (RFC 9457) with which every
// hookd listener answers a failure: the API, the metrics' own listener and
// the console's paths when it is turned off. One shape, one writer, so
// that a client reads every failure the same way, its request id included.
package problemdoc

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
)

const (
	// TypeBase prefixes a problem's code to make its type URI.
	TypeBase = "https://hookd.dev/problems/"
	// ContentType is the media type of a problem document.
	ContentType = "application/problem+json"
	// HeaderRequestID carries the request's id, the document's request_id.
	HeaderRequestID = "X-Request-Id"
)

// FieldError points at one invalid field: a JSON pointer into the body, or
// "#/<name>" for a query parameter.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// Document is a problem document: what went wrong (a stable code clients
// switch on, and a detail people read), where (the path), and the
// request's id (the API logs each request with it).
type Document struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"request_id"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// titles are the documents' titles by code: every code of the contract's
// Problem.code (api/openapi.yaml; TestTitlesAreTheContractsCodes), forbidden
// too, which hookd itself never answers (a gateway in front may).
var titles = map[string]string{
	"bad_request":               "Bad request",
	"unauthorized":              "Unauthorized",
	"forbidden":                 "Forbidden",
	"not_found":                 "Not found",
	"method_not_allowed":        "Method not allowed",
	"conflict":                  "Conflict",
	"group_not_empty":           "Group not empty",
	"idempotency_key_in_flight": "Idempotent request in flight",
	"idempotency_key_reused":    "Idempotency key reused",
	"payload_too_large":         "Payload too large",
	"unsupported_media_type":    "Unsupported media type",
	"validation_failed":         "Validation failed",
	"rate_limited":              "Rate limited",
	"internal_error":            "Internal error",
	"not_ready":                 "Not ready",
}

// Title is the title of a code's documents; "" for a code hookd does not
// have.
func Title(code string) string { return titles[code] }

// Fill completes d for the request r with the id requestID: its type and
// title from its code, the request's path as its instance.
func (d *Document) Fill(r *http.Request, requestID string) {
	d.Type = TypeBase + d.Code
	d.Title = titles[d.Code]
	d.Instance = r.URL.Path
	d.RequestID = requestID
}

// Write writes d, filled, with its status.
func Write(w http.ResponseWriter, d *Document) {
	status := d.Status
	body, err := json.Marshal(d)
	if err != nil {
		// A Document holds only strings and numbers: unreachable.
		status = http.StatusInternalServerError
		body = []byte(`{"type":"` + TypeBase + `internal_error","title":"Internal error","status":500,"detail":"cannot encode the response","code":"internal_error","request_id":""}`)
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// A caller-supplied request id is kept when it is short and plain, so that a
// client's own correlation id shows up in our logs; anything else is replaced.
var acceptableRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// RequestID is the id of the request r: the X-Request-Id it came with, when
// short and plain, or a new one.
func RequestID(r *http.Request) string {
	if id := r.Header.Get(HeaderRequestID); acceptableRequestID.MatchString(id) {
		return id
	}
	return ids.New("req_")
}

// Standalone answers r with a problem from a handler that the API's
// middleware does not run (the metrics' own listener, the console turned
// off): with a request id of its own, in the X-Request-Id header as well,
// as the API does. Headers set on w before are kept.
func Standalone(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	id := RequestID(r)
	w.Header().Set(HeaderRequestID, id)
	d := &Document{Status: status, Code: code, Detail: detail}
	d.Fill(r, id)
	Write(w, d)
}
