package rules_test

import (
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestIDKindProblem(t *testing.T) {
	for _, c := range []struct {
		kind  rules.IDKind
		value string
		want  string
	}{
		{rules.GroupID, "grp_abc234", ""},
		{rules.WebhookID, "wh_Abc9", ""},
		{rules.DeliveryID, "dlv_x", ""},
		{rules.GroupID, "", `must be a group id such as grp_0123456789abcdefghij, got ""`},
		{rules.GroupID, "bad", `must be a group id such as grp_0123456789abcdefghij, got "bad"`},
		{rules.GroupID, "grp_", `must be a group id such as grp_0123456789abcdefghij, got "grp_"`},
		{rules.GroupID, "wh_abc", `must be a group id such as grp_0123456789abcdefghij, got "wh_abc"`},
		{rules.WebhookID, "wh_a-b", `must be a webhook id such as wh_0123456789abcdefghij, got "wh_a-b"`},
		{rules.WebhookID, "wh_a\n", `must be a webhook id such as wh_0123456789abcdefghij, got "wh_a\n"`},
		{rules.DeliveryID, "dlv_../x", `must be a delivery id such as dlv_0123456789abcdefghij, got "dlv_../x"`},
	} {
		if got := c.kind.Problem(c.value); got != c.want {
			t.Errorf("%s.Problem(%q) = %q, want %q", c.kind.What, c.value, got, c.want)
		}
	}
}

func TestRedactUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:pw@host/x":                         "http://[redacted]@host/x",
		`endpoint "https://admin:s3cr3t@h:8080" bad`: `endpoint "https://[redacted]@h:8080" bad`,
		"HTTP://u@host":                              "HTTP://[redacted]@host",
		"http://u:p w@host:notaport":                 "http://[redacted]@host:notaport",
		"http://u:pw@host:notaport":                  "http://[redacted]@host:notaport",
		"mailto:a@b and https://h/p?q=a@b":           "mailto:a@b and https://h/p?q=a@b",
		"two: http://a:1@x https://b:2@y":            "two: http://[redacted]@x https://[redacted]@y",
		"no url":                                     "no url",
	} {
		if got := rules.RedactUserinfo(in); got != want {
			t.Errorf("RedactUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
