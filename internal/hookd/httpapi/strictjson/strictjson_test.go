package strictjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// request has a member of every shape the Hooks API's requests use.
type request struct {
	Name         *string                      `json:"name"`
	Events       []string                     `json:"events"`
	Active       *bool                        `json:"active"`
	Headers      map[string]*string           `json:"headers"`
	Grace        *int                         `json:"grace_period_hours"`
	Data         json.RawMessage              `json:"data"`
	Description  Optional[string]             `json:"description"`
	PatchHeaders Optional[map[string]*string] `json:"patch_headers"`
	PatchEvents  Optional[[]string]           `json:"patch_events"`
	PatchActive  Optional[bool]               `json:"patch_active"`
}

// Text encoding/json would silently change is refused, pointing at the
// member that holds it.
func TestDecodeRefusesInvalidText(t *testing.T) {
	for body, pointer := range map[string]string{
		"{\"name\":\"caf\xe9\"}":                   "/name",
		`{"name":"a\ud800b"}`:                      "/name",
		`{"name":"a\udc00"}`:                       "/name",
		`{"name":"\ud83d"}`:                        "/name",
		"{\"events\":[\"*\",\"\xc3\"]}":            "/events/1",
		"{\"headers\":{\"X-A\":\"\xff\"}}":         "/headers/X-A",
		"{\"headers\":{\"X/A\":\"\xff\"}}":         "/headers/X~1A",
		"{\"patch_headers\":{\"\xff\":\"a\"}}":     "/patch_headers",
		"{\"data\":{\"deep\":[{\"x\":\"\xfe\"}]}}": "/data/deep/0/x",
	} {
		var r request
		err := Decode([]byte(body), &r)
		if err == nil || err.Status != 422 || len(err.Fields) != 1 || err.Fields[0].Pointer != pointer || err.Fields[0].Detail != detailInvalidUTF8 {
			t.Errorf("Decode(%q) = %+v, want 422 at %s", body, err, pointer)
		}
	}
	for _, body := range []string{`{"name":"\ud83d\ude00"}`, `{"name":"\\ud800"}`, `{"name":"\ufffd"}`, `{"name":"é\u202e"}`} {
		var r request
		if err := Decode([]byte(body), &r); err != nil {
			t.Errorf("Decode(%q) = %+v, want it accepted", body, err)
		}
	}
}

// A member given twice, in the body or in any object within it, is a 400
// naming it (and where): encoding/json would keep the last one silently.
func TestDecodeRefusesDuplicateMembers(t *testing.T) {
	for body, want := range map[string]string{
		`{"name":"a","name":"b"}`:                   `the request body has the member "name" twice; give each member once (JSON parsers disagree on which of the two counts)`,
		`{"name":"a","\u006eame":"b"}`:              `the request body has the member "name" twice; give each member once (JSON parsers disagree on which of the two counts)`,
		`{"headers":{"X-A":"1","X-A":"2"}}`:         `the request body has the member "X-A" twice in /headers; give each member once (JSON parsers disagree on which of the two counts)`,
		`{"data":{"deep":[{},{"x":1,"x":1}]}}`:      `the request body has the member "x" twice in /data/deep/1; give each member once (JSON parsers disagree on which of the two counts)`,
		`{"unknown":1,"unknown":2}`:                 `the request body has the member "unknown" twice; give each member once (JSON parsers disagree on which of the two counts)`,
		`{"patch_headers":{"a/b":null,"a/b":null}}`: `the request body has the member "a/b" twice in /patch_headers; give each member once (JSON parsers disagree on which of the two counts)`,
	} {
		var r request
		err := Decode([]byte(body), &r)
		if err == nil || err.Status != 400 || err.Detail != want {
			t.Errorf("Decode(%s) = %+v, want 400 %q", body, err, want)
		}
	}
	// Names that differ are different members, however alike.
	for _, body := range []string{`{"headers":{"X-A":"1","x-a":"2"}}`, `{"data":{"x":{"y":1},"y":{"x":1}}}`, `{"events":["a","a"]}`} {
		var r request
		if err := Decode([]byte(body), &r); err != nil && err.Status == 400 {
			t.Errorf("Decode(%s) = %+v", body, err)
		}
	}
}

// patch is a request whose resource has read-only members.
type patch struct {
	Name *string `json:"name"`
}

func (patch) ReadOnlyMembers() map[string]string {
	return map[string]string{"id": "is read-only: the server computes it"}
}

// A read-only member of the resource is refused saying so; another unknown
// member lists the fields a request may set.
func TestDecodeRefusesReadOnlyMembers(t *testing.T) {
	var p patch
	if err := Decode([]byte(`{"id":"x","name":"a"}`), &p); err == nil || err.Status != 400 ||
		err.Detail != `the field "id" is read-only: the server computes it; leave it out of the request body` {
		t.Errorf("read-only member: %+v", err)
	}
	if err := Decode([]byte(`{"label":"a"}`), &p); err == nil || err.Detail != `unknown field "label" in the request body; known fields are: name` {
		t.Errorf("unknown member: %+v", err)
	}
}

// FuzzDecode feeds arbitrary bodies to the strict decoder: it never panics;
// what it accepts is a JSON object of valid UTF-8 text without unpaired
// surrogates, whose every string decodes to exactly the text sent; what it
// refuses is a 400 with a detail or a 422 pointing into the body.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"name":"a","events":["*"],"active":true}`,
		`{"description":null,"patch_headers":{"X":null,"Y":"1"}}`, `{"grace_period_hours":1e400}`,
		`{"events":[null,1,{}]}`, `{"headers":[]}`, `{"a":1,"a":2}`, `{"name":"a","name":"b"}`,
		`{"data":{"x":[1,2,"\u0000"]}}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\"}", `{"name":"\u202e"}`,
		`{"name":"\\\\ud800"}`, `{"patch_events":null}`, `{"patch_active":"yes"}`, `{"unknown":1}`,
		`{"headers":{"X":"1","X":"2"}}`, `{"name":"a","\u006eame":"b"}`, `{"data":[{"a":1,"a":2}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r request
		err := Decode(body, &r)
		if err == nil {
			if !json.Valid(body) || !utf8.Valid(body) || loneSurrogate(body) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
				t.Fatalf("accepted %q", body)
			}
			if hasDuplicate(body) {
				t.Fatalf("accepted %q, which has a member twice", body)
			}
			if r.Name != nil && strings.ContainsRune(*r.Name, utf8.RuneError) && !bytes.Contains(body, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
				t.Fatalf("accepted %q and decoded a replacement character into name", body)
			}
			return
		}
		switch err.Status {
		case 400:
			if err.Detail == "" || len(err.Fields) != 0 {
				t.Fatalf("400 for %q: %+v", body, err)
			}
		case 422:
			if len(err.Fields) == 0 {
				t.Fatalf("422 without fields for %q", body)
			}
			for _, f := range err.Fields {
				if !strings.HasPrefix(f.Pointer, "/") || f.Detail == "" {
					t.Fatalf("422 for %q: %+v", body, f)
				}
			}
		default:
			t.Fatalf("status %d for %q", err.Status, body)
		}
	})
}

// hasDuplicate reports whether any object of the JSON text raw has a
// member twice: the fuzz target's own check, independent of Decode's walk
// (it decodes every object into a map and counts its members in the text).
func hasDuplicate(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var depth []map[string]int
	expectKey := []bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			depth = append(depth, map[string]int{})
			expectKey = append(expectKey, true)
			continue
		case json.Delim('['):
			depth = append(depth, nil)
			expectKey = append(expectKey, false)
			continue
		case json.Delim('}'), json.Delim(']'):
			depth, expectKey = depth[:len(depth)-1], expectKey[:len(expectKey)-1]
		default:
			top := len(depth) - 1
			if top >= 0 && depth[top] != nil && expectKey[top] {
				name, _ := tok.(string)
				depth[top][name]++
				if depth[top][name] > 1 {
					return true
				}
				expectKey[top] = false
				continue
			}
		}
		if top := len(depth) - 1; top >= 0 && depth[top] != nil {
			expectKey[top] = true
		}
		if len(depth) == 0 {
			return false
		}
	}
}
