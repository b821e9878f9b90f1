package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels for errors.Is on an *APIError (or any error wrapping one).
var (
	ErrBadRequest   = errors.New("bad request")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrValidation   = errors.New("validation failed")
	ErrRateLimited  = errors.New("rate limited")
	ErrServer       = errors.New("server error")
	// ErrUnreachable wraps failures to get any answer from the server
	// (refused or dropped connections, DNS, TLS); they are not *APIError.
	ErrUnreachable = errors.New("hookd is unreachable")
)

// FieldError points at one invalid field of a request.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// APIError is a problem+json answer of the Hooks API.
type APIError struct {
	StatusCode int          `json:"status"`
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Code       string       `json:"code"`
	Detail     string       `json:"detail"`
	RequestID  string       `json:"request_id"`
	Errors     []FieldError `json:"errors,omitempty"`
	// Method and Path of the call, for messages.
	Method string `json:"-"`
	Path   string `json:"-"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// redact removes credentials from every text of the answer: a server (or a
// proxy in front of it) may echo anything into any field, and each of them
// reaches a message, a diagnostic or a log.
func (e *APIError) redact(secrets []string) {
	for _, s := range []*string{&e.Type, &e.Title, &e.Code, &e.Detail, &e.RequestID} {
		*s = redact(*s, secrets...)
	}
	for i := range e.Errors {
		e.Errors[i].Pointer = redact(e.Errors[i].Pointer, secrets...)
		e.Errors[i].Detail = redact(e.Errors[i].Detail, secrets...)
	}
}

// Is maps the status to a sentinel, so callers never compare codes.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrValidation:
		return e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}
