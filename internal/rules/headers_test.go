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
			Detail: `"X Team" is not a valid header name: use letters, digits and -`}}},
		{"empty name", map[string]string{"": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidName, Name: "",
			Detail: `"" is not a valid header name: use letters, digits and -`}}},
		{"reserved", map[string]string{"webhook-id": "a"}, []rules.HeaderProblem{{Kind: rules.HeaderReserved, Name: "webhook-id",
			Detail: `"webhook-id" is reserved: hookd sets it on every delivery or it governs the connection (reserved: Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-); use auth_token to send an Authorization header`}}},
		{"line break in value", map[string]string{"X-A": "a\r\nX-Injected: 1"}, []rules.HeaderProblem{{Kind: rules.HeaderInvalidValue, Name: "X-A",
			Detail: `the value of "X-A" contains characters not allowed in a header (such as line breaks)`}}},
		{"value too long", map[string]string{"X-A": strings.Repeat("é", rules.MaxHeaderValueLength+1)}, []rules.HeaderProblem{{Kind: rules.HeaderValueTooLong, Name: "X-A",
			Detail: `the value of "X-A" must be at most 1024 characters, got 1025`}}},
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
		rules.HeaderProblemKind(0): "HeaderProblemKind(0)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", int(k), got, want)
		}
	}
}
