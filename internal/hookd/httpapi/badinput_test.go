package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Every bad request gets its precise problem, and nothing is written.
func TestBadInput(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	gid := field[string](t, c.createGroup("payments"), "id")
	wid := field[string](t, c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}}), "id")
	valid := func(edit func(map[string]any)) map[string]any {
		b := map[string]any{"url": "https://example.com/hooks", "events": []string{"transfer.created"}}
		edit(b)
		return b
	}

	const (
		oneLine   = ": control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it"
		multiLine = ": control characters other than tabs and line breaks (\\n or \\r\\n), bidirectional and zero-width characters are not allowed; remove it"
		token     = ": it is sent as \"Authorization: Bearer <token>\", where control, bidirectional and zero-width characters are not allowed; remove it"
	)
	cases := []struct {
		name    string
		req     req
		status  int
		code    string
		pointer string // of the one field error; "" when there is none
		detail  string // exactly: the field error's detail, or the problem's when there is none
	}{
		{"malformed JSON", req{method: "POST", path: "/v1/webhooks/account", body: `{"url": `}, 400, "bad_request", "", "the request body is not valid JSON: unexpected end of JSON input at byte 8"},
		{"not an object", req{method: "POST", path: "/v1/webhooks/account", body: `[1]`}, 400, "bad_request", "", "the request body must be a JSON object, not array"},
		{"empty body", req{method: "POST", path: "/v1/webhooks/account", body: ``}, 400, "bad_request", "", "the request body is empty; send a JSON object"},
		{"unknown field", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["evnts"] = []string{"*"} })}, 400, "bad_request", "", "unknown field \"evnts\" in the request body; known fields are: active, auth_token, description, events, headers, name, secret, signature_scheme, url"},
		{"member twice", req{method: "POST", path: "/v1/webhooks/account", body: `{"url":"https://a.example/","url":"https://b.example/","events":["*"]}`}, 400, "bad_request", "", "the request body has the member \"url\" twice; give each member once (JSON parsers disagree on which of the two counts)"},
		{"header twice", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: `{"headers":{"X-A":"1","X-A":"2"}}`}, 400, "bad_request", "", "the request body has the member \"X-A\" twice in /headers; give each member once (JSON parsers disagree on which of the two counts)"},
		{"event data member twice", req{method: "POST", path: "/v1/events", body: `{"type":"transfer.expired","data":{"transfer_id":"tr_1","transfer_id":"tr_2"}}`}, 400, "bad_request", "", "the request body has the member \"transfer_id\" twice in /data; give each member once (JSON parsers disagree on which of the two counts)"},
		{"read-only member on a patch", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"public_key": "whpk_x"}}, 400, "bad_request", "", "the field \"public_key\" is read-only: the server computes it; leave it out of the request body"},
		{"read-only id on a create", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["id"] = "wh_mine" })}, 400, "bad_request", "", "the field \"id\" is read-only: the server computes it; leave it out of the request body"},
		{"scope on a patch", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"scope": "group"}}, 400, "bad_request", "", "the field \"scope\" is read-only: the path a webhook is created on sets it (POST /v1/webhooks/account, or POST /v1/webhooks/group/{group_id}), and it never changes; leave it out of the request body"},
		{"secret on a patch", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, 400, "bad_request", "", "the field \"secret\" cannot be set by a PATCH: rotate the secret with POST /v1/webhooks/{webhook_id}/secret/rotate, which takes a secret of your own too; leave it out of the request body"},
		{"created_at on a group", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "g", "created_at": "2026-01-01T00:00:00Z"}}, 400, "bad_request", "", "the field \"created_at\" is read-only: the server computes it; leave it out of the request body"},
		{"wrong type", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["active"] = "yes" })}, 422, "validation_failed", "/active", "must be a boolean, not string"},
		{"missing url", req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"events": []string{"*"}}}, 422, "validation_failed", "/url", "is required"},
		{"missing events", req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"url": "https://example.com"}}, 422, "validation_failed", "/events", "must list at least one event type such as \"transfer.created\", a category wildcard such as \"transfer.*\", or \"*\" for every event type"},
		{"empty events", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{} })}, 422, "validation_failed", "/events", "must list at least one event type such as \"transfer.created\", a category wildcard such as \"transfer.*\", or \"*\" for every event type"},
		{"http to a public host", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "http://example.com/hooks" })}, 422, "validation_failed", "/url", "must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://"},
		{"userinfo", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://user:pw@example.com/hooks" })}, 422, "validation_failed", "/url", "must not contain credentials (user:password@); remove them and send them with auth_token or headers instead"},
		{"fragment", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/hooks#x" })}, 422, "validation_failed", "/url", "must not contain a fragment (#...), which is never sent to the receiver; remove the # and what follows it"},
		{"ftp url", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "ftp://example.com/hooks" })}, 422, "validation_failed", "/url", "must use https, not \"ftp\": write https:// instead of ftp://"},
		{"url not absolute", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "example.com/hooks" })}, 422, "validation_failed", "/url", "must be an absolute URL such as https://example.com/webhooks"},
		{"url host in decimal", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://2130706433/" })}, 422, "validation_failed", "/url", "has the host \"2130706433\", an IPv4 address in a non-standard form; write it as 127.0.0.1"},
		{"url port too large", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com:65536/" })}, 422, "validation_failed", "/url", "must have a port from 1 to 65535, got 65536; write the port the receiver listens on, or leave it out for the default (443 with https)"},
		{"patch url port 0", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": "https://example.com:0/"}}, 422, "validation_failed", "/url", "must have a port from 1 to 65535, got 0; write the port the receiver listens on, or leave it out for the default (443 with https)"},
		{"patch userinfo", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": "https://u:pw@example.com/"}}, 422, "validation_failed", "/url", "must not contain credentials (user:password@); remove them and send them with auth_token or headers instead"},
		{"patch http to a public host", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": "http://example.com/"}}, 422, "validation_failed", "/url", "must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://"},
		{"relative url", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "/hooks" })}, 422, "validation_failed", "/url", "must be an absolute URL such as https://example.com/webhooks"},
		{"url with a right-to-left override", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/\u202emoc.live" })}, 422, "validation_failed", "/url", "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 21: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it"},
		{"url with a zero width space", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://exa\u200bmple.com/" })}, 422, "validation_failed", "/url", "contains U+200B (ZERO WIDTH SPACE) at character 12: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it"},
		{"url too long", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/" + strings.Repeat("a", 2040) })}, 422, "validation_failed", "/url", "must be at most 2048 characters, got 2060; remove 12 characters"},
		{"unknown event type", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{"*", "transfer.craeted"} })}, 422, "validation_failed", "/events/1", "unknown event type \"transfer.craeted\" (did you mean \"transfer.created\"?)"},
		{"unknown category", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{"payment.*"} })}, 422, "validation_failed", "/events/0", "unknown event category \"payment.*\"; categories: api_key, saml, scim, transfer, webhook, workspace"},
		{"headers differing in case", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-Team": "a", "x-team": "b"} })}, 422, "validation_failed", "/headers/x-team", "\"X-Team\" and \"x-team\" name the same header: HTTP header names are case-insensitive; keep one"},
		{"reserved header", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"Webhook-Id": "x"} })}, 422, "validation_failed", "/headers/Webhook-Id", "\"Webhook-Id\" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header"},
		{"reserved header authorization", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"authorization": "x"} })}, 422, "validation_failed", "/headers/authorization", "\"authorization\" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header"},
		{"header with newline", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": "a\r\nb"} })}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" contains U+000D (CARRIAGE RETURN) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it"},
		{"header value too long", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": strings.Repeat("é", 1025)} })}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" must be at most 1024 characters, got 1025; remove 1 character"},
		{"too many headers", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = manyHeaders(21) })}, 422, "validation_failed", "/headers", "at most 20 headers are allowed, got 21"},
		{"reserved header accept-encoding", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"Accept-Encoding": "br"} })}, 422, "validation_failed", "/headers/Accept-Encoding", "\"Accept-Encoding\" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header"},
		{"invalid header name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X Team": "a"} })}, 422, "validation_failed", "/headers/X Team", "\"X Team\" is not a valid header name: it contains U+0020 (SPACE) at character 2; use letters, digits and -"},
		{"url too long in characters", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/" + strings.Repeat("é", 2029) })}, 422, "validation_failed", "/url", "must be at most 2048 characters, got 2049; remove 1 character"},
		{"empty name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["name"] = "" })}, 422, "validation_failed", "/name", "must not be empty; omit it, or set it to null to clear it"},
		{"malformed secret", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["secret"] = "whsec_short" })}, 422, "validation_failed", "/secret", "malformed secret: the part after \"whsec_\" must be standard base64"},
		{"unknown signature scheme", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["signature_scheme"] = "v2" })}, 422, "validation_failed", "/signature_scheme", "must be \"v1\" (HMAC-SHA256 with the shared secret) or \"v1a\" (Ed25519, verified with the public key), got \"v2\""},
		{"patch unknown signature scheme", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"signature_scheme": "ed25519"}}, 422, "validation_failed", "/signature_scheme", "must be \"v1\" (HMAC-SHA256 with the shared secret) or \"v1a\" (Ed25519, verified with the public key), got \"ed25519\""},
		{"patch signature scheme null", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"signature_scheme": nil}}, 422, "validation_failed", "/signature_scheme", "cannot be null; send \"v1\" or \"v1a\""},
		{"unknown group", req{method: "POST", path: "/v1/webhooks/group/grp_doesnotexist", body: valid(func(map[string]any) {})}, 404, "not_found", "", "group \"grp_doesnotexist\" not found; create it first or check the id"},
		{"oversized body", req{method: "POST", path: "/v1/webhooks/account", body: `{"description": "` + strings.Repeat("a", 1<<20) + `"}`}, 413, "payload_too_large", "", "the request body is larger than 1048576 bytes"},
		{"wrong media type", req{method: "POST", path: "/v1/webhooks/account", body: `url=x`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", "", "Content-Type \"application/x-www-form-urlencoded\" is not supported; send application/json"},
		{"grace 169", req{method: "POST", path: "/v1/webhooks/" + wid + "/secret/rotate", body: map[string]any{"grace_period_hours": 169}}, 422, "validation_failed", "/grace_period_hours", "must be from 0 to 168 hours, got 169"},
		{"rotate malformed secret", req{method: "POST", path: "/v1/webhooks/" + wid + "/secret/rotate", body: map[string]any{"secret": "nope"}}, 422, "validation_failed", "/secret", "malformed secret: must start with \"whsec_\""},
		{"patch url null", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": nil}}, 422, "validation_failed", "/url", "cannot be null: a webhook always has a url"},
		{"patch headers differing in case", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": "1", "x-a": "2"}}}, 422, "validation_failed", "/headers/x-a", "\"X-A\" and \"x-a\" name the same header: HTTP header names are case-insensitive; keep one"},
		{"patch reserved header", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"Hookd-X": "1"}}}, 422, "validation_failed", "/headers/Hookd-X", "\"Hookd-X\" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header"},
		{"patch header value too long", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": strings.Repeat("a", 1025)}}}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" must be at most 1024 characters, got 1025; remove 1 character"},
		{"patch removal differing in case", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": nil, "x-a": "2"}}}, 422, "validation_failed", "/headers/x-a", "\"X-A\" and \"x-a\" name the same header: HTTP header names are case-insensitive; keep one"},
		{"patch too many headers", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": manyHeaders(21)}}, 422, "validation_failed", "/headers", "at most 20 headers are allowed, got 21"},
		{"patch unknown event", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"events": []string{"transfer.creatd"}}}, 422, "validation_failed", "/events/0", "unknown event type \"transfer.creatd\" (did you mean \"transfer.created\"?)"},
		{"group name missing", req{method: "POST", path: "/v1/groups", body: map[string]any{}}, 422, "validation_failed", "/name", "is required"},
		{"group name too long", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": strings.Repeat("n", 101)}}, 422, "validation_failed", "/name", "must be at most 100 characters, got 101; remove 1 character"},
		{"group name null", req{method: "PATCH", path: "/v1/groups/" + gid, body: map[string]any{"name": nil}}, 422, "validation_failed", "/name", "cannot be null: a group always has a name"},
		{"null header value", req{method: "POST", path: "/v1/webhooks/account", body: `{"url":"https://example.com/hooks","events":["*"],"headers":{"X-A":null}}`}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" is null: give a string (it may be empty), or leave the header out"},
		{"NUL in header name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-\x00A": "a"} })}, 422, "validation_failed", "/headers/X-\x00A", "\"X-\\x00A\" is not a valid header name: it contains U+0000 (NUL) at character 3; use letters, digits and -"},
		{"right-to-left override in header name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-\u202eA": "a"} })}, 422, "validation_failed", "/headers/X-\u202eA", "\"X-\\u202eA\" is not a valid header name: it contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 3; use letters, digits and -"},
		{"zero-width space in header name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-\u200bA": "a"} })}, 422, "validation_failed", "/headers/X-\u200bA", "\"X-\\u200bA\" is not a valid header name: it contains U+200B (ZERO WIDTH SPACE) at character 3; use letters, digits and -"},
		{"NUL in header value", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": "a\x00b"} })}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" contains U+0000 (NUL) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it"},
		{"right-to-left override in header value", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": "abc\u202e"} })}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4: control, bidirectional and zero-width characters are not allowed in header values; remove it"},
		{"zero-width joiner in header value", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": "a\u200db"} })}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" contains U+200D (ZERO WIDTH JOINER) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it"},
		{"patch right-to-left override in header value", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": "\u202e"}}}, 422, "validation_failed", "/headers/X-A", "the value of \"X-A\" contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 1: control, bidirectional and zero-width characters are not allowed in header values; remove it"},
		{"invalid UTF-8 in header value", req{method: "POST", path: "/v1/webhooks/account", body: "{\"url\":\"https://example.com/hooks\",\"events\":[\"*\"],\"headers\":{\"X-A\":\"a\xffb\"}}"}, 422, "validation_failed", "/headers/X-A", "is not valid UTF-8 text; send strings encoded as UTF-8 (no invalid bytes, no unpaired \\ud800-\\udfff escapes)"},
		{"invalid UTF-8 in name", req{method: "POST", path: "/v1/groups", body: "{\"name\":\"caf\xe9\"}"}, 422, "validation_failed", "/name", "is not valid UTF-8 text; send strings encoded as UTF-8 (no invalid bytes, no unpaired \\ud800-\\udfff escapes)"},
		{"lone surrogate escape in name", req{method: "POST", path: "/v1/groups", body: `{"name":"a\ud800b"}`}, 422, "validation_failed", "/name", "is not valid UTF-8 text; send strings encoded as UTF-8 (no invalid bytes, no unpaired \\ud800-\\udfff escapes)"},
		{"invalid UTF-8 in an event pattern", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: "{\"events\":[\"*\",\"\xc3\"]}"}, 422, "validation_failed", "/events/1", "is not valid UTF-8 text; send strings encoded as UTF-8 (no invalid bytes, no unpaired \\ud800-\\udfff escapes)"},
		// Names are one line of visible text, descriptions may have lines and
		// tabs, an auth_token must make a valid Authorization header.
		{"NUL in a group name", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "pay\x00ments"}}, 422, "validation_failed", "/name", "contains U+0000 (NUL) at character 4" + oneLine},
		{"right-to-left override in a group name", req{method: "POST", path: "/v1/groups", body: `{"name":"é\u202e"}`}, 422, "validation_failed", "/name", "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2" + oneLine},
		{"zero-width space in a group name", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "pay\u200bments"}}, 422, "validation_failed", "/name", "contains U+200B (ZERO WIDTH SPACE) at character 4" + oneLine},
		{"line feed in a group name", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "a\nb"}}, 422, "validation_failed", "/name", "contains U+000A (LINE FEED) at character 2" + oneLine},
		{"patch right-to-left isolate in a group name", req{method: "PATCH", path: "/v1/groups/" + gid, body: map[string]any{"name": "\u2067x"}}, 422, "validation_failed", "/name", "contains U+2067 (RIGHT-TO-LEFT ISOLATE) at character 1" + oneLine},
		{"NUL in a group description", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "g", "description": "line one\nline\x00two"}}, 422, "validation_failed", "/description", "contains U+0000 (NUL) at character 14" + multiLine},
		{"patch carriage return alone in a group description", req{method: "PATCH", path: "/v1/groups/" + gid, body: map[string]any{"description": "a\rb"}}, 422, "validation_failed", "/description", "contains U+000D (CARRIAGE RETURN) at character 2" + multiLine},
		{"tab in a webhook name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["name"] = "a\tb" })}, 422, "validation_failed", "/name", "contains U+0009 (TAB) at character 2" + oneLine},
		{"byte order mark in a webhook name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["name"] = "\ufeffhooks" })}, 422, "validation_failed", "/name", "contains U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1" + oneLine},
		{"patch line separator in a webhook name", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"name": "a\u2028b"}}, 422, "validation_failed", "/name", "contains U+2028 (LINE SEPARATOR) at character 2" + oneLine},
		{"escape in a webhook description", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["description"] = "\x1b[2J" })}, 422, "validation_failed", "/description", "contains U+001B (ESCAPE) at character 1" + multiLine},
		{"patch right-to-left override in a webhook description", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"description": "ok\n\u202eko"}}, 422, "validation_failed", "/description", "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4" + multiLine},
		{"line break in an auth_token", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["auth_token"] = "tok\r\nX-Evil: 1" })}, 422, "validation_failed", "/auth_token", "contains U+000D (CARRIAGE RETURN) at character 4" + token},
		{"NUL in an auth_token", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["auth_token"] = "\x00" })}, 422, "validation_failed", "/auth_token", "contains U+0000 (NUL) at character 1" + token},
		{"zero-width space in an auth_token", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["auth_token"] = "tok\u200b" })}, 422, "validation_failed", "/auth_token", "contains U+200B (ZERO WIDTH SPACE) at character 4" + token},
		{"auth_token ending with a space", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["auth_token"] = "tok " })}, 422, "validation_failed", "/auth_token", "ends with U+0020 (SPACE), which HTTP drops from the end of a header value, so the receiver would get another token; remove it"},
		{"patch line feed in an auth_token", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"auth_token": "a\nb"}}, 422, "validation_failed", "/auth_token", "contains U+000A (LINE FEED) at character 2" + token},
		{"patch auth_token starting with a space", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"auth_token": " tok"}}, 422, "validation_failed", "/auth_token", "starts with U+0020 (SPACE): it is sent as \"Authorization: Bearer <token>\", and receivers do not expect a second space after Bearer; remove it"},
		{"event group_id of the wrong shape", req{method: "POST", path: "/v1/events", body: `{"type":"transfer.expired","group_id":"payments","data":{"transfer_id":"tr_8fK2mQ7xLp","workspace_id":"ws_3hT9cVb1Rn","download_count":7,"created_at":"2026-11-24T10:15:00Z","expired_at":"2026-12-01T10:15:00Z"}}`}, 422, "validation_failed", "/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"payments\""},
		{"group_id empty in the list query", req{method: "GET", path: "/v1/webhooks?group_id="}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"\""},
		{"group_id of the wrong shape in the list query", req{method: "GET", path: "/v1/webhooks?group_id=bad"}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"bad\""},
		{"unknown group in the list query", req{method: "GET", path: "/v1/webhooks?group_id=grp_doesnotexist"}, 404, "not_found", "", "group \"grp_doesnotexist\" not found; check group_id"},
		{"query parameter misspelt", req{method: "GET", path: "/v1/webhooks?grup_id=x"}, 400, "bad_request", "#/grup_id", "is unknown: GET /v1/webhooks takes active, cursor, event, group_id, limit, scope and status"},
		{"query parameter misspelt on deliveries", req{method: "GET", path: "/v1/webhooks/" + wid + "/deliveries?statuss=retrying"}, 400, "bad_request", "#/statuss", "is unknown: GET /v1/webhooks/{webhook_id}/deliveries takes created_after, created_before, cursor, event_type, include_total, is_test, limit, status and unrecovered"},
		{"query parameter on an operation that takes none", req{method: "POST", path: "/v1/groups?dry_run=true", body: map[string]any{"name": "x"}}, 400, "bad_request", "#/dry_run", "is unknown: POST /v1/groups takes no query parameters"},
		{"query parameter on a read that takes none", req{method: "GET", path: "/v1/webhooks/" + wid + "?expand=secret"}, 400, "bad_request", "#/expand", "is unknown: GET /v1/webhooks/{webhook_id} takes no query parameters"},
		{"query parameter on a webhook test", req{method: "POST", path: "/v1/webhooks/" + wid + "/test?event_type=transfer.created"}, 400, "bad_request", "#/event_type", "is unknown: POST /v1/webhooks/{webhook_id}/test takes no query parameters"},
		{"query parameter twice", req{method: "GET", path: "/v1/webhooks?scope=account&scope=group"}, 400, "bad_request", "#/scope", "is given 2 times; give it once"},
		{"limit twice", req{method: "GET", path: "/v1/groups?limit=1&limit=1000"}, 400, "bad_request", "#/limit", "is given 2 times; give it once"},
		{"malformed query", req{method: "GET", path: "/v1/webhooks?limit=%zz"}, 400, "bad_request", "", "the query string is malformed (invalid URL escape \"%zz\"); percent-encode the values, and separate parameters with &"},
		{"group_id empty in the path", req{method: "GET", path: "/v1/groups/"}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"\""},
		{"group_id of the wrong shape in the path", req{method: "GET", path: "/v1/groups/payments"}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"payments\""},
		{"group_id of the wrong shape on delete", req{method: "DELETE", path: "/v1/groups/grp_a-b"}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"grp_a-b\""},
		{"group_id empty on group webhook create", req{method: "POST", path: "/v1/webhooks/group/", body: valid(func(map[string]any) {})}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"\""},
		{"group_id of the wrong shape on group webhook create", req{method: "POST", path: "/v1/webhooks/group/payments", body: valid(func(map[string]any) {})}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"payments\""},
		{"webhook_id of the wrong shape", req{method: "GET", path: "/v1/webhooks/" + gid}, 400, "bad_request", "#/webhook_id", "must be a webhook id such as wh_0123456789abcdefghij, got \"" + gid + `"`},
		{"webhook_id empty before deliveries", req{method: "GET", path: "/v1/webhooks//deliveries"}, 400, "bad_request", "#/webhook_id", "must be a webhook id such as wh_0123456789abcdefghij, got \"\""},
		{"webhook_id of the wrong shape on rotate", req{method: "POST", path: "/v1/webhooks/x/secret/rotate", body: map[string]any{}}, 400, "bad_request", "#/webhook_id", "must be a webhook id such as wh_0123456789abcdefghij, got \"x\""},
		{"delivery_id of the wrong shape", req{method: "GET", path: "/v1/deliveries/" + wid}, 400, "bad_request", "#/delivery_id", "must be a delivery id such as dlv_0123456789abcdefghij, got \"" + wid + `"`},
		{"delivery_id empty", req{method: "GET", path: "/v1/deliveries/"}, 400, "bad_request", "#/delivery_id", "must be a delivery id such as dlv_0123456789abcdefghij, got \"\""},
		{"GET on the group webhook create path", req{method: "GET", path: "/v1/webhooks/group/deliveries"}, 404, "not_found", "", "no such endpoint: GET /v1/webhooks/group/deliveries; POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with wh_"},
		{"POST without the group id", req{method: "POST", path: "/v1/webhooks/group", body: valid(func(map[string]any) {})}, 404, "not_found", "", "no such endpoint: POST /v1/webhooks/group; the group id is missing: POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with wh_"},
		{"GET without the group id", req{method: "GET", path: "/v1/webhooks/group"}, 404, "not_found", "", "no such endpoint: GET /v1/webhooks/group; POST /v1/webhooks/group/{group_id} creates a group webhook, GET /v1/webhooks?scope=group lists them, and webhook ids start with wh_"},
		{"PATCH without the group id", req{method: "PATCH", path: "/v1/webhooks/group", body: map[string]any{"active": false}}, 404, "not_found", "", "no such endpoint: PATCH /v1/webhooks/group; POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with wh_"},
		{"DELETE without the group id", req{method: "DELETE", path: "/v1/webhooks/group"}, 404, "not_found", "", "no such endpoint: DELETE /v1/webhooks/group; POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with wh_"},
		// The two path shapes that overlap: /v1/webhooks/group/... is always
		// the group create path (webhook ids never equal "group").
		{"POST on group/test creates in the group test", req{method: "POST", path: "/v1/webhooks/group/test", body: valid(func(map[string]any) {})}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"test\""},
		{"POST on group/deliveries creates in the group deliveries", req{method: "POST", path: "/v1/webhooks/group/deliveries", body: valid(func(map[string]any) {})}, 400, "bad_request", "#/group_id", "must be a group id such as grp_0123456789abcdefghij, got \"deliveries\""},
		{"GET on group/test", req{method: "GET", path: "/v1/webhooks/group/test"}, 404, "not_found", "", "no such endpoint: GET /v1/webhooks/group/test; POST /v1/webhooks/group/{group_id} creates a group webhook, and webhook ids start with wh_"},
		{"dot-dot path", req{method: "GET", path: "/v1/groups/../webhooks"}, 404, "not_found", "", "no such endpoint: GET /v1/groups/../webhooks: paths must not have \".\", \"..\" or empty segments"},
		{"unknown webhook action", req{method: "GET", path: "/v1/webhooks/" + wid + "/nope"}, 404, "not_found", "", "no such endpoint: GET /v1/webhooks/" + wid + "/nope"},
		{"unknown endpoint", req{method: "GET", path: "/v2/groups"}, 404, "not_found", "", "no such endpoint: GET /v2/groups"},
		{"idempotency key empty", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "x"}, headers: map[string]string{"Idempotency-Key": ""}}, 400, "bad_request", "", "the Idempotency-Key header is empty; send a key of 1 to 255 characters (the same on every retry of the call), or leave the header out"},
		{"idempotency key of spaces", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(map[string]any) {}), headers: map[string]string{"Idempotency-Key": "   "}}, 400, "bad_request", "", "the Idempotency-Key header is empty; send a key of 1 to 255 characters (the same on every retry of the call), or leave the header out"},
		{"idempotency key too long", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "x"}, headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}, 400, "bad_request", "", "the Idempotency-Key header must be at most 255 characters, got 256"},
	}
	// An event's group id of the right shape that names no group: 404,
	// pointing at it and saying what to do.
	p := c.problem(req{method: "POST", path: "/v1/events", invalid: true, body: `{"type":"transfer.expired","group_id":"grp_doesnotexist","data":{"transfer_id":"tr_8fK2mQ7xLp","workspace_id":"ws_3hT9cVb1Rn","download_count":7,"created_at":"2026-11-24T10:15:00Z","expired_at":"2026-12-01T10:15:00Z"}}`},
		http.StatusNotFound, "not_found")
	if p.Detail != `group "grp_doesnotexist" not found; check group_id (GET /v1/groups lists the groups), or create the group first` ||
		len(p.Errors) != 1 || p.Errors[0].Pointer != "/group_id" || p.Errors[0].Detail != "names no group; check group_id (GET /v1/groups lists the groups), or create the group first" {
		t.Errorf("event of no group: %+v", p)
	}

	before := snapshot(c)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s)
			tc.req.invalid = true
			p := c.problem(tc.req, tc.status, tc.code)
			if tc.pointer == "" {
				if p.Detail != tc.detail {
					t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, tc.detail)
				}
				return
			}
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer {
				t.Fatalf("errors %+v, want one at %q", p.Errors, tc.pointer)
			}
			if got := p.Errors[0].Detail; got != tc.detail {
				t.Errorf("error at %s\n  %q\nwant\n  %q", tc.pointer, got, tc.detail)
			}
			// The detail names the field, then says what is wrong with it.
			want := strings.TrimPrefix(tc.pointer, "/") + ": " + tc.detail
			if name, param := strings.CutPrefix(tc.pointer, "#/"); param {
				want = "path parameter " + name + " " + tc.detail
				if strings.Contains(tc.req.path, "?") {
					want = "query parameter " + name + " " + tc.detail
				}
			}
			if p.Detail != want {
				t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, want)
			}
		})
	}
	if after := snapshot(c); after != before {
		t.Errorf("bad requests changed the data:\nbefore %s\nafter  %s", before, after)
	}
	// The snapshot sees what a good POST /v1/events writes, so the check
	// above would have caught a bad one that wrote something.
	c.ok(req{method: "POST", path: "/v1/events", body: `{"type":"transfer.expired","data":{"transfer_id":"tr_8fK2mQ7xLp","workspace_id":"ws_3hT9cVb1Rn","download_count":7,"created_at":"2026-11-24T10:15:00Z","expired_at":"2026-12-01T10:15:00Z"}}`}, http.StatusAccepted)
	if after := snapshot(c); after == before {
		t.Error("a published event did not change the snapshot: it cannot tell that nothing was written")
	}
}

func manyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	return h
}

// Limits count characters, not bytes: values at every limit, in two-byte
// characters, are accepted. A patch may remove any name, even one it could
// not set; the count is that of the merged headers.
func TestLimitsCountCharacters(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	body := map[string]any{
		"name":        strings.Repeat("é", 100),
		"description": strings.Repeat("é", 1000),
		"url":         "https://example.com/" + strings.Repeat("é", 2048-len("https://example.com/")),
		"events":      []string{"*"},
		"headers":     map[string]string{"X-A": strings.Repeat("é", 1024)},
		"auth_token":  strings.Repeat("t", 1024),
	}
	wh := c.createAccountWebhook(body)
	id := field[string](t, wh, "id")
	assertFields(t, wh, map[string]any{"name": body["name"], "url": body["url"], "headers": map[string]any{"X-A": strings.Repeat("é", 1024)}})
	c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"headers": manyHeaders(19)}}, http.StatusOK)
	patch := map[string]any{"Webhook-Id": nil, "X-H00": nil, "X-Z": "z"}
	got := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"headers": patch}}, http.StatusOK)
	if n := len(field[map[string]any](t, got, "headers")); n != 20 {
		t.Errorf("%d headers after the patch, want 20", n)
	}
}

// What the character rule allows is stored and returned as sent: names in
// any script, with combining marks and emoji; descriptions with tabs and
// line breaks, Windows' \r\n included; a token with a space inside. Run
// with HOOKD_TEST_DB=postgres too.
func TestTextKeptAsSent(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	name := "Zahlungen ü, платежи, مدفوعات, 支付 e\u0301 🚀"
	description := "line one\r\nline two\n\tindented\u2028end"
	g := c.ok(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": name, "description": description}}, http.StatusCreated)
	assertFields(t, g, map[string]any{"name": name, "description": description})
	g = c.ok(req{method: "GET", path: "/v1/groups?name_prefix=" + url.QueryEscape("Zahlungen ü")}, http.StatusOK)
	if n := len(field[[]any](t, g, "data")); n != 1 {
		t.Errorf("name_prefix found %d groups, want 1", n)
	}
	token := "opaque token/with+spaces="
	wh := c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}, "name": name, "description": description, "auth_token": token})
	assertFields(t, wh, map[string]any{"name": name, "description": description, "auth_token_fingerprint": rules.Fingerprint(token)})
}

// snapshot renders every group and webhook and the ids of every webhook's
// deliveries, to prove nothing was written. An event stored shows here as
// the deliveries it made: the tests that use snapshot keep a webhook
// subscribed to "*" (a delivery's status is left out: attempts change it).
func snapshot(c *client) string {
	g := c.do(req{method: "GET", path: "/v1/groups?limit=1000"})
	w := c.do(req{method: "GET", path: "/v1/webhooks?limit=1000"})
	out := string(g.body) + string(w.body)
	for _, wh := range field[[]any](c.t, decode(c.t, w.body), "data") {
		id := field[string](c.t, as[map[string]any](c.t, wh), "id")
		d := c.ok(req{method: "GET", path: "/v1/webhooks/" + id + "/deliveries?limit=1000"}, http.StatusOK)
		out += "\n" + id + ":"
		for _, dl := range field[[]any](c.t, d, "data") {
			out += " " + field[string](c.t, as[map[string]any](c.t, dl), "id")
		}
	}
	return out
}

func TestPrivateDestinations(t *testing.T) {
	s := hookdtest.Start(t, hookdtest.WithConfig(func(cfg *server.Config) { cfg.AllowPrivateDestinations = false }))
	c := newClient(t, s)
	wid := field[string](t, c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}}), "id")
	before := snapshot(c)
	private := func(host string) string {
		kind := rules.RefusedHost(host)
		if kind == "" {
			t.Fatalf("%s is not refused", host)
		}
		return fmt.Sprintf("points at %q, %s, which this server does not deliver to: use a public address, or start hookd with --allow-private-destinations to allow it (development)", host, kind)
	}
	legacy := func(host, addr string) string {
		return fmt.Sprintf("has the host %q, an IPv4 address in a non-standard form; write it as %s", host, addr)
	}
	for url, want := range map[string]string{
		"http://127.0.0.1:9000/hooks":                      "must use https; plain http to the private host \"127.0.0.1\" needs a server started with --allow-private-destinations",
		"https://10.1.2.3/hooks":                           private("10.1.2.3"),
		"https://169.254.169.254/latest":                   private("169.254.169.254"),
		"https://[fd00:ec2::254]/latest":                   private("fd00:ec2::254"),
		"https://localhost/x":                              `points at "localhost", a loopback name, which this server does not deliver to: use a public address, or start hookd with --allow-private-destinations to allow it (development)`,
		"https://[::1]/x":                                  private("::1"),
		"https://[::]/x":                                   private("::"),
		"https://0.0.0.0/x":                                private("0.0.0.0"),
		"https://100.64.0.1/x":                             private("100.64.0.1"),
		"https://[::127.0.0.1]/x":                          private("::127.0.0.1"),
		"https://[::ffff:127.0.0.1]/x":                     private("::ffff:127.0.0.1"),
		"https://[64:ff9b::7f00:1]/x":                      private("64:ff9b::7f00:1"),
		"https://[64:ff9b:1::a00:1]/x":                     private("64:ff9b:1::a00:1"),
		"https://[2002:7f00:1::1]/x":                       private("2002:7f00:1::1"),
		"https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x": private("2001:0:4136:e378:8000:63bf:80ff:fffe"),
		"https://[fe80::1%25eth0]/x":                       private("fe80::1%eth0"),
		"https://2130706433/x":                             legacy("2130706433", "127.0.0.1"),
		"https://0177.0.0.1/x":                             legacy("0177.0.0.1", "127.0.0.1"),
		"https://0x7f000001/x":                             legacy("0x7f000001", "127.0.0.1"),
		"https://127.1/x":                                  legacy("127.1", "127.0.0.1"),
		"https://134744072/x":                              legacy("134744072", "8.8.8.8"),
		"https://168.63.129.16/machine":                    private("168.63.129.16"),
		"https://[::ffff:168.63.129.16]/machine":           private("::ffff:168.63.129.16"),
		"https://100.100.100.200/latest":                   private("100.100.100.200"),
		// Documentation, discard-only, benchmarking and SRv6 space: not
		// globally reachable, as the IPv4 reserved ranges.
		"https://[2001:db8::1]/x":    `points at "2001:db8::1", a documentation address, which this server does not deliver to: use a public address, or start hookd with --allow-private-destinations to allow it (development)`,
		"https://[3fff::1]/x":        private("3fff::1"),
		"https://[100::1]/x":         private("100::1"),
		"https://[2001:2::1]/x":      private("2001:2::1"),
		"https://[5f00::1]/x":        private("5f00::1"),
		"https://192.0.2.1/x":        private("192.0.2.1"),
		"https://203.0.113.5:8443/x": private("203.0.113.5"),
		// Look-alike spellings HTTP clients map to loopback before they
		// dial: refused at create with the ASCII spelling, allowed or not.
		"https://①②⑦.0.0.1:8443/x": `has the host "①②⑦.0.0.1", which HTTP clients read as 127.0.0.1 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 127.0.0.1`,
		"https://127。0。0。1:8443/x": `has the host "127。0。0。1", which HTTP clients read as 127.0.0.1 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 127.0.0.1`,
		"https://ｌｏｃａｌｈｏｓｔ:8443/x": `has the host "ｌｏｃａｌｈｏｓｔ", which HTTP clients read as localhost (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as localhost`,
	} {
		for _, r := range []req{
			{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"url": url, "events": []string{"*"}}, invalid: true},
			{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": url}, invalid: true},
		} {
			p := c.problem(r, http.StatusUnprocessableEntity, "validation_failed")
			if len(p.Errors) != 1 || p.Errors[0].Pointer != "/url" || p.Errors[0].Detail != want {
				t.Errorf("%s %s: errors %+v, want /url: %s", r.method, url, p.Errors, want)
			}
		}
	}
	if after := snapshot(c); after != before {
		t.Errorf("refused destinations were saved:\nbefore %s\nafter  %s", before, after)
	}
	s2 := hookdtest.Start(t)
	c2 := newClient(t, s2)
	c2.createAccountWebhook(map[string]any{"url": "http://127.0.0.1:9000/hooks", "events": []string{"*"}})
}
