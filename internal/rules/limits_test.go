package rules_test

import (
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestTextProblem(t *testing.T) {
	for _, c := range []struct {
		name, value string
		max         int
		want        string
	}{
		{"ok", "billing", 100, ""},
		{"exactly max", strings.Repeat("n", 100), 100, ""},
		{"empty", "", 100, "must not be empty; omit it, or set it to null to clear it"},
		{"one over", strings.Repeat("n", 101), 100, "must be at most 100 characters, got 101; remove 1 character"},
		// Characters, not bytes: 100 two-byte characters fit in 100.
		{"multi-byte at max", strings.Repeat("é", 100), 100, ""},
		{"multi-byte over", strings.Repeat("€", 101), 100, "must be at most 100 characters, got 101; remove 1 character"},
		{"whitespace is text", " ", 1, ""},
		// The characters are checked before the length.
		{"too long and a NUL", strings.Repeat("n", 101) + "\x00", 100, "contains U+0000 (NUL) at character 102: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rules.TextProblem(c.value, c.max, rules.OneLine); got != c.want {
				t.Errorf("TextProblem = %q, want %q", got, c.want)
			}
		})
	}
}

func TestTooLong(t *testing.T) {
	for _, c := range []struct {
		value string
		max   int
		want  string
	}{
		{"", 3, ""},
		{"abc", 3, ""},
		{"abcd", 3, "must be at most 3 characters, got 4; remove 1 character"},
		{"ééé", 3, ""},
		{"日本語です", 3, "must be at most 3 characters, got 5; remove 2 characters"},
	} {
		if got := rules.TooLong(c.value, c.max); got != c.want {
			t.Errorf("TooLong(%q, %d) = %q, want %q", c.value, c.max, got, c.want)
		}
	}
	if n := rules.Length("héllo"); n != 5 {
		t.Errorf("Length(héllo) = %d, want 5", n)
	}
}

func TestRequiredTextProblem(t *testing.T) {
	for value, want := range map[string]string{
		"":                       "must not be empty; give at least one character",
		"a":                      "",
		strings.Repeat("é", 100): "",
		strings.Repeat("é", 101): "must be at most 100 characters, got 101; remove 1 character",
		"a\u202eb":               "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it",
	} {
		if got := rules.RequiredTextProblem(value, 100, rules.OneLine); got != want {
			t.Errorf("RequiredTextProblem(%d characters) = %q, want %q", rules.Length(value), got, want)
		}
	}
}

func TestGracePeriodProblem(t *testing.T) {
	for hours, want := range map[int64]string{
		0:   "",
		24:  "",
		168: "",
		-1:  "must be from 0 to 168 hours, got -1",
		169: "must be from 0 to 168 hours, got 169",
	} {
		if got := rules.GracePeriodProblem(hours); got != want {
			t.Errorf("GracePeriodProblem(%d) = %q, want %q", hours, got, want)
		}
	}
}

func TestEventCountProblem(t *testing.T) {
	for n, want := range map[int]string{
		1:   "",
		100: "",
		0:   `must list at least one event type such as "transfer.created", a category wildcard such as "transfer.*", or "*" for every event type`,
		101: `must list at most 100 entries, got 101; a category wildcard such as "transfer.*" covers every type of its category in one entry`,
	} {
		if got := rules.EventCountProblem(n); got != want {
			t.Errorf("EventCountProblem(%d) = %q, want %q", n, got, want)
		}
	}
}
