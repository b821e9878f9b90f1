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
