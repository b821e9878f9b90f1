package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiProblem is the API's problem+json, shown to the user as it is.
type apiProblem struct {
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	} `json:"errors"`

	retryAfter time.Duration // from Retry-After, on a 429
}

// Error is the API's detail, which names the fields at fault already (the
// API writes each of its errors into it: appended again, every message
// showed twice), with the request id.
func (p *apiProblem) Error() string {
	msg := p.Detail
	for _, e := range p.Errors {
		if !strings.Contains(msg, e.Detail) { // never seen: a detail that does not say it
			msg += "; " + strings.TrimPrefix(e.Pointer, "#/") + ": " + e.Detail
		}
	}
	if p.RequestID != "" {
		msg += " (request " + p.RequestID + ")"
	}
	return msg
}

// inForm says p's field errors in the words of the form whose fields the
// console sent as the API's query parameters: labels maps a parameter to
// its field's label (created_after to "From (UTC)"), so that the message
// names what the person filled in, not the API's parameter.
func (p *apiProblem) inForm(labels map[string]string) {
	if len(p.Errors) == 0 {
		return
	}
	parts := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		name := strings.TrimPrefix(e.Pointer, "#/")
		if label, ok := labels[name]; ok {
			name = label
		}
		parts[i] = name + ": " + e.Detail
	}
	p.Detail = strings.Join(parts, "; ")
}

// recorder is the in-memory ResponseWriter of an in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// The API's problem codes for a call whose Idempotency-Key another call
// holds, and for one whose key was used with another request.
const (
	codeInFlight  = "idempotency_key_in_flight"
	codeKeyReused = "idempotency_key_reused"
)

// onceField is the form field of a page's one-time token (pageData.Once).
const onceField = "once"

// formKey is the Idempotency-Key of the action a form asks for: its
// page's one-time token. A form sent twice (a double click, the same page
// sent again; pages are no-store, so Back fetches a new one) then acts once: the API answers the second with the first's
// outcome, or, while the first runs, with 409 idempotency_key_in_flight.
// The API scopes a key to the method and path, so one token serves every
// form of a page. Empty (no key) for a form without one.
func formKey(r *http.Request) string { return r.PostFormValue(onceField) }

// call sends one request to the API as the session's key and decodes a
// successful JSON answer into out (when not nil). A failure is an
// *apiProblem carrying the API's own message. A POST with a key is sent
// with it as its Idempotency-Key.
func (c *Console) call(ctx context.Context, sess *session, method, path string, body any, contentType, key string, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return err
	}
	if rd == nil {
		// As a server request has: the API reads the body of an
		// idempotent call (its fingerprint).
		req.Body = http.NoBody
	}
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "hookd-console")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := &recorder{header: http.Header{}}
	c.cfg.API.ServeSession(rec, req, sess.keyHash)
	if rec.status >= 300 {
		p := &apiProblem{}
		if err := json.Unmarshal(rec.body.Bytes(), p); err != nil || p.Status == 0 {
			return fmt.Errorf("the API answered %d: %s", rec.status, strings.TrimSpace(rec.body.String()))
		}
		if secs, err := strconv.Atoi(rec.header.Get("Retry-After")); err == nil {
			p.retryAfter = time.Duration(secs) * time.Second
		}
		return p
	}
	if out != nil && rec.body.Len() > 0 {
		return json.Unmarshal(rec.body.Bytes(), out)
	}
	return nil
}

// get is call for a GET.
func (c *Console) get(ctx context.Context, sess *session, path string, out any) error {
	return c.call(ctx, sess, http.MethodGet, path, nil, "", "", out)
}
