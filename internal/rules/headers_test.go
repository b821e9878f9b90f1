package rules_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestIsReservedHeader(t *testing.T) {
	reserved := []string{
		"Authorization", "authorization", "AUTHORIZATION", "Content-Type", "content-length", "Host",
		"User-Agent", "Connection", "Transfer-Encoding", "TE", "te", "Upgrade", "Trailer", "Keep-Alive",
		"Proxy-Authorization", "Accept-Encoding",
		// Everything hookd signs and labels a delivery with.
		"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "webhook-anything", "WEBHOOK-X",
		"Hookd-Signature", "Hookd-Delivery-Id", "Hookd-Attempt", "Hookd-Test-Delivery", "hookd-x",
	}
	for _, h := range reserved {
		if !rules.IsReservedHeader(h) {
			t.Errorf("%s is not reserved", h)
		}
	}
	for _, h := range []string{"X-Team", "Accept", "Webhook", "Hookd", "X-Webhook-Id", "Webhooks-Id", "Hookdx-A", "Te-Extra", "Authorization2", ""} {
		if rules.IsReservedHeader(h) {
			t.Errorf("%s is reserved", h)
		}
	}
	// The list the messages show is the list checked.
	for _, h := range rules.ReservedHeaders() {
		if !rules.IsReservedHeader(h) {
			t.Errorf("ReservedHeaders lists %s, which is not reserved", h)
		}
	}
}

func TestCheckHeaders(t *testing.T) {
	many := map[string]string{}
	for i := range rules.MaxHeaders + 1 {
		many[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    []rules.HeaderProblem
	}{
		{"nil", nil, nil},
		{"valid", map[string]string{"X-Team": "ledger", "X-Empty": "", "X-Unicode": "Grüße"}, nil},
		{"max value length in characters", map[string]string{"X-A": strings.Repeat("é", rules.MaxHeaderValueLength)}, nil},
		{"too many", many, []rules.HeaderProblem{{Kind: rules.HeaderTooMany,
			Detail: "at most 20 headers are allowed, got 21"}}},
		{"duplicate ignoring case", map[string]string{"X-Team": "a", "x-team": "b"}, []rules.HeaderProblem{{Kind: rules.HeaderDuplicate, Name: "x-team",
			Detail: `"X-Team" and "x-team" name the same header: HTTP header names are case-insensitive; keep one`}}},
		{"invalid name", map[string]string{"X Team": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "X Team",
			Detail: `"X Team" is not a valid header name: it contains U+0020 (SPACE) at character 2; use letters, digits and -`}}},
		{"empty name", map[string]string{"": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "",
			Detail: `"" is not a valid header name: it is empty; use letters, digits and -`}}},
		{"NUL in name", map[string]string{"X-\x00A": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "X-\x00A",
			Detail: `"X-\x00A" is not a valid header name: it contains U+0000 (NUL) at character 3; use letters, digits and -`}}},
		{"right-to-left override in name", map[string]string{"X-\u202eA": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "X-\u202eA",
			Detail: `"X-\u202eA" is not a valid header name: it contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 3; use letters, digits and -`}}},
		{"zero-width space in name", map[string]string{"X-\u200bA": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "X-\u200bA",
			Detail: `"X-\u200bA" is not a valid header name: it contains U+200B (ZERO WIDTH SPACE) at character 3; use letters, digits and -`}}},
		{"invalid UTF-8 in name", map[string]string{"X-\xffA": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "X-\xffA",
			Detail: `"X-\xffA" is not a valid header name: it is not valid UTF-8; use letters, digits and -`}}},
		{"NUL in value", map[string]string{"X-A": "a\x00b"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains U+0000 (NUL) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it`}}},
		{"right-to-left override in value", map[string]string{"X-A": "abc\u202edef"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4: control, bidirectional and zero-width characters are not allowed in header values; remove it`}}},
		{"zero-width joiner in value", map[string]string{"X-A": "é\u200d"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains U+200D (ZERO WIDTH JOINER) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it`}}},
		{"byte order mark in value", map[string]string{"X-A": "\ufeffa"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1: control, bidirectional and zero-width characters are not allowed in header values; remove it`}}},
		{"invalid UTF-8 in value", map[string]string{"X-A": "ab\xffc"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" is not valid UTF-8 (invalid byte 0xFF at byte 2); send text encoded as UTF-8`}}},
		{"tab in value", map[string]string{"X-A": "a\tb"}, nil},
		{"reserved", map[string]string{"webhook-id": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderReserved, Name: "webhook-id",
			Detail: `"webhook-id" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header`}}},
		{"line break in value", map[string]string{"X-A": "a\r\nX-Injected: 1"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains U+000D (CARRIAGE RETURN) at character 2: control, bidirectional and zero-width characters are not allowed in header values; remove it`}}},
		{"value too long", map[string]string{"X-A": strings.Repeat("é", rules.MaxHeaderValueLength+1)}, []rules.HeaderProblem{{Kind: rules.HeaderValueTooLong, Name: "X-A",
			Detail: `the value of "X-A" must be at most 1024 characters, got 1025; remove 1 character`}}},
		{"one finding per name, the first that applies", map[string]string{"Hookd-A": "a\nb"}, []rules.HeaderProblem{{Kind: rules.HeaderReserved, Name: "Hookd-A"}}},
		{"sorted by name, duplicates not checked further", map[string]string{"b": "\n", "A": "\n", "B": "ok"}, []rules.HeaderProblem{
			{Kind: rules.HeaderInvalidValue, Name: "A"}, {Kind: rules.HeaderDuplicate, Name: "b"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := rules.CheckHeaders(c.headers)
			if len(got) != len(c.want) {
				t.Fatalf("CheckHeaders = %+v, want %+v", got, c.want)
			}
			for i := range got {
				if c.want[i].Detail == "" { // only the kind and name matter here
					got[i].Detail = ""
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("CheckHeaders =\n  %+v\nwant\n  %+v", got, c.want)
			}
		})
	}
}

func TestHeaderProblemKindString(t *testing.T) {
	for k, want := range map[rules.HeaderProblemKind]string{
		rules.HeaderTooMany: "Too many headers", rules.HeaderDuplicate: "Duplicate header name",
		rules.HeaderInvalidName: "Invalid header name", rules.HeaderReserved: "Reserved header name",
		rules.HeaderInvalidValue: "Invalid header value", rules.HeaderValueTooLong: "Header value too long",
		rules.HeaderNullValue:      "Null header value",
		rules.HeaderProblemKind(0): "HeaderProblemKind(0)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", int(k), got, want)
		}
	}
}

func TestNullHeader(t *testing.T) {
	p := rules.NullHeader("X-A")
	want := rules.HeaderProblem{Kind: rules.HeaderNullValue, Name: "X-A",
		Detail: `the value of "X-A" is null: give a string (it may be empty), or leave the header out`}
	if p != want {
		t.Errorf("NullHeader = %+v, want %+v", p, want)
	}
}
