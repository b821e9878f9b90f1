package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Optional is a merge-patch member: absent (Set false), null (Set and Null),
// or a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON is called by encoding/json for present members only, null
// included, which is exactly the distinction merge patch needs.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

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

// decodeStrict decodes a JSON object into dst member by member, so that an
// unknown member is a 400 naming it and a member of the wrong type is a 422
// pointing at it (encoding/json reports neither in a typed way for the
// whole document).
func decodeStrict(body []byte, dst any) *problem {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return badRequest("the request body is not valid JSON: %s at byte %d", syntax.Error(), syntax.Offset)
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return badRequest("the request body must be a JSON object, not %s", typeErr.Value)
		}
		return badRequest("the request body is not valid JSON: %v", err)
	}
	if members == nil {
		return badRequest("the request body must be a JSON object, not null")
	}
	if at, bad := textFault(body, ""); bad {
		if at == "" {
			return badRequest("the request body %s", detailInvalidUTF8)
		}
		return invalidField(at, "%s", detailInvalidUTF8)
	}
	fields := fieldsOf(reflect.TypeOf(dst).Elem())
	var unknown []string
	for name := range members {
		if _, ok := fields[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(fields))
		for name := range fields {
			known = append(known, name)
		}
		sort.Strings(known)
		return badRequest("unknown field %q in the request body; known fields are: %s", unknown[0], strings.Join(known, ", "))
	}
	v := reflect.ValueOf(dst).Elem()
	var errs []FieldError
	for _, name := range sortedKeys(members) {
		target := v.Field(fields[name]).Addr().Interface()
		if err := json.Unmarshal(members[name], target); err != nil {
			errs = append(errs, typeError(name, err))
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func typeError(name string, err error) FieldError {
	pointer := "/" + escapePointer(name)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			for _, part := range strings.Split(typeErr.Field, ".") {
				pointer += "/" + escapePointer(part)
			}
		}
		return FieldError{Pointer: pointer, Detail: fmt.Sprintf("must be %s, not %s", describeKind(typeErr.Type), typeErr.Value)}
	}
	return FieldError{Pointer: pointer, Detail: "is not valid: " + err.Error()}
}

func describeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return describeKind(t.Elem())
	}
	return t.String()
}

var fieldCache sync.Map // reflect.Type -> map[string]int

// fieldsOf maps json member names of a struct type to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	if cached, ok := fieldCache.Load(t); ok {
		if m, ok := cached.(map[string]int); ok {
			return m
		}
	}
	m := map[string]int{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
