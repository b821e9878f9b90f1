// Package strictjson decodes the JSON object of a request strictly, member
// by member: an unknown member, a member of the wrong type, text that is not
// valid UTF-8 are each reported precisely (encoding/json reports none of
// them in a typed way for a whole document, and replaces invalid UTF-8
// silently). It depends on the standard library only, so that its fuzz
// target builds in seconds.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
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

// FieldError points at one invalid member with a JSON pointer.
type FieldError struct {
	Pointer string
	Detail  string
}

// Error is why a body does not decode: Status 400 for a body that is not a
// JSON object, has an unknown member or a member twice in one object
// (Detail says which), 422 for
// members that are invalid (Fields points at each).
type Error struct {
	Status int
	Detail string
	Fields []FieldError
}

func (e *Error) Error() string { return e.Detail }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: 400, Detail: fmt.Sprintf(format, args...)}
}

func invalid(fields []FieldError) *Error {
	return &Error{Status: 422, Fields: fields}
}

// Decode decodes a JSON object into dst member by member, so that an
// unknown member is a 400 naming it and a member of the wrong type is a 422
// pointing at it (encoding/json reports neither in a typed way for the
// whole document). A member given twice in any object of the body is a 400
// naming it: encoding/json keeps the last silently, other parsers (a
// receiver's, for an event's data) the first.
func Decode(body []byte, dst any) *Error {
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
		return invalid([]FieldError{{Pointer: at, Detail: detailInvalidUTF8}})
	}
	if at, name, dup := duplicateMember(body); dup {
		where := ""
		if at != "" {
			where = " in " + at
		}
		return badRequest("the request body has the member %q twice%s; give each member once (JSON parsers disagree on which of the two counts)", name, where)
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
		if ro, ok := dst.(ReadOnly); ok {
			if why := ro.ReadOnlyMembers()[unknown[0]]; why != "" {
				return badRequest("the field %q %s; leave it out of the request body", unknown[0], why)
			}
		}
		known := make([]string, 0, len(fields))
		for name := range fields {
			known = append(known, name)
		}
		sort.Strings(known)
		return badRequest("unknown field %q in the request body; known fields are: %s", unknown[0], strings.Join(known, ", "))
	}
	v := reflect.ValueOf(dst).Elem()
	var errs []FieldError
	for _, name := range SortedKeys(members) {
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

// ReadOnly is implemented by a request type whose resource has members a
// request cannot set (an id, a fingerprint, a timestamp): sending one is
// refused saying why, rather than as an unknown field. ReadOnlyMembers maps
// each such name to why, worded to follow it ("is read-only: the server
// computes it").
type ReadOnly interface {
	ReadOnlyMembers() map[string]string
}

func typeError(name string, err error) FieldError {
	pointer := "/" + EscapePointer(name)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			for _, part := range strings.Split(typeErr.Field, ".") {
				pointer += "/" + EscapePointer(part)
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

// duplicateMember finds the first member name given twice in one object of
// the JSON text raw (names compared once unescaped, as parsers read them):
// the pointer of that object ("" for the body itself) and the name.
func duplicateMember(raw []byte) (pointer, name string, dup bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return duplicateIn(dec, "")
}

func duplicateIn(dec *json.Decoder, pointer string) (string, string, bool) {
	tok, err := dec.Token()
	if err != nil {
		return "", "", false
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", "", false
			}
			name, _ := key.(string)
			if seen[name] {
				return pointer, name, true
			}
			seen[name] = true
			if at, n, dup := duplicateIn(dec, pointer+"/"+EscapePointer(name)); dup {
				return at, n, true
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if at, n, dup := duplicateIn(dec, pointer+"/"+strconv.Itoa(i)); dup {
				return at, n, true
			}
		}
		_, _ = dec.Token()
	}
	return "", "", false
}

// SortedKeys returns the keys of m, sorted.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// EscapePointer escapes one JSON pointer reference token (RFC 6901).
func EscapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
