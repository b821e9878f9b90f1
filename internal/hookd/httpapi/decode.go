package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi/strictjson"
)

// Optional is a merge-patch member (strictjson.Optional).
type Optional[T any] = strictjson.Optional[T]

// readBody reads at most maxBodyBytes; a larger body is a 413 and nothing
// else happens. It also enforces a JSON media type when there is a body.
func readBody(w http.ResponseWriter, r *http.Request, mergePatch bool) ([]byte, *problem) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, codePayloadTooLarge,
				"the request body is larger than %d bytes", maxBodyBytes)
		}
		return nil, badRequest("cannot read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return body, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct != "" && err != nil {
		return nil, newProblem(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "Content-Type %q is malformed; send application/json", ct)
	}
	switch {
	case ct == "" || mt == contentTypeJSON:
	case mergePatch && mt == contentTypeMergePatch:
	default:
		want := contentTypeJSON
		if mergePatch {
			want = contentTypeMergePatch + " or " + contentTypeJSON
		}
		return nil, newProblem(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "Content-Type %q is not supported; send %s", ct, want)
	}
	return body, nil
}

// decodeBody reads and strictly decodes the request body into dst, a pointer
// to a struct whose fields carry json tags.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, mergePatch, optional bool) *problem {
	body, p := readBody(w, r, mergePatch)
	if p != nil {
		return p
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("the request body is empty; send a JSON object")
	}
	return decodeStrict(body, dst)
}

// decodeStrict decodes a JSON object into dst member by member
// (strictjson.Decode), as a problem.
func decodeStrict(body []byte, dst any) *problem {
	err := strictjson.Decode(body, dst)
	if err == nil {
		return nil
	}
	if err.Status == http.StatusBadRequest {
		return badRequest("%s", err.Detail)
	}
	fields := make([]FieldError, len(err.Fields))
	for i, f := range err.Fields {
		fields[i] = FieldError{Pointer: f.Pointer, Detail: f.Detail}
	}
	return invalid(fields)
}

func sortedKeys[V any](m map[string]V) []string { return strictjson.SortedKeys(m) }
