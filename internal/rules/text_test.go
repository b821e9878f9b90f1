package rules_test

import (
	"net/textproto"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

const (
	oneLineFix   = ": control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it"
	multiLineFix = ": control characters other than tabs and line breaks (\\n or \\r\\n), bidirectional and zero-width characters are not allowed; remove it"
	tokenFix     = ": it is sent as \"Authorization: Bearer <token>\", where control, bidirectional and zero-width characters are not allowed; remove it"
)

// Every class of invisible character is refused in every kind of text,
// named with its position; line breaks and tabs only where text has lines.
func TestCharProblem(t *testing.T) {
	for _, c := range []struct {
		name  string
		value string
		// what each kind says: the character and its position, "" when
		// the kind accepts the value.
		oneLine, multiLine, token string
	}{
		{"plain", "Payments (EU) — prod 🚀", "", "", ""},
		{"letters of other scripts", "Zahlungen ü, платежи, مدفوعات, 支付", "", "", ""},
		{"combining mark and variation selector", "e\u0301 \u2764\ufe0f", "", "", ""},
		{"inner space", "a b", "", "", ""},
		// C0 controls
		{"NUL", "ab\x00", "U+0000 (NUL) at character 3", "U+0000 (NUL) at character 3", "U+0000 (NUL) at character 3"},
		{"line feed", "a\nb", "U+000A (LINE FEED) at character 2", "", "U+000A (LINE FEED) at character 2"},
		{"carriage return and line feed", "a\r\nb", "U+000D (CARRIAGE RETURN) at character 2", "", "U+000D (CARRIAGE RETURN) at character 2"},
		{"carriage return alone", "a\rb", "U+000D (CARRIAGE RETURN) at character 2", "U+000D (CARRIAGE RETURN) at character 2", "U+000D (CARRIAGE RETURN) at character 2"},
		{"carriage return at the end", "a\r", "U+000D (CARRIAGE RETURN) at character 2", "U+000D (CARRIAGE RETURN) at character 2", "U+000D (CARRIAGE RETURN) at character 2"},
		{"tab", "a\tb", "U+0009 (TAB) at character 2", "", "U+0009 (TAB) at character 2"},
		{"escape", "é\x1b[31m", "U+001B (ESCAPE) at character 2", "U+001B (ESCAPE) at character 2", "U+001B (ESCAPE) at character 2"},
		{"form feed", "\fa", "U+000C (FORM FEED) at character 1", "U+000C (FORM FEED) at character 1", "U+000C (FORM FEED) at character 1"},
		{"other C0 control", "a\x01", "U+0001 at character 2", "U+0001 at character 2", "U+0001 at character 2"},
		{"delete", "a\x7f", "U+007F (DELETE) at character 2", "U+007F (DELETE) at character 2", "U+007F (DELETE) at character 2"},
		// C1 controls
		{"next line", "a\u0085b", "U+0085 (NEXT LINE) at character 2", "U+0085 (NEXT LINE) at character 2", "U+0085 (NEXT LINE) at character 2"},
		{"other C1 control", "\u009b31m", "U+009B at character 1", "U+009B at character 1", "U+009B at character 1"},
		// Unicode line breaks
		{"line separator", "a\u2028b", "U+2028 (LINE SEPARATOR) at character 2", "", "U+2028 (LINE SEPARATOR) at character 2"},
		{"paragraph separator", "a\u2029b", "U+2029 (PARAGRAPH SEPARATOR) at character 2", "", "U+2029 (PARAGRAPH SEPARATOR) at character 2"},
		// bidirectional controls
		{"right-to-left override", "é\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2"},
		{"left-to-right embedding", "\u202aa", "U+202A (LEFT-TO-RIGHT EMBEDDING) at character 1", "U+202A (LEFT-TO-RIGHT EMBEDDING) at character 1", "U+202A (LEFT-TO-RIGHT EMBEDDING) at character 1"},
		{"pop directional formatting", "ab\u202c", "U+202C (POP DIRECTIONAL FORMATTING) at character 3", "U+202C (POP DIRECTIONAL FORMATTING) at character 3", "U+202C (POP DIRECTIONAL FORMATTING) at character 3"},
		{"right-to-left isolate", "a\u2067b\u2069", "U+2067 (RIGHT-TO-LEFT ISOLATE) at character 2", "U+2067 (RIGHT-TO-LEFT ISOLATE) at character 2", "U+2067 (RIGHT-TO-LEFT ISOLATE) at character 2"},
		{"pop directional isolate", "a\u2069", "U+2069 (POP DIRECTIONAL ISOLATE) at character 2", "U+2069 (POP DIRECTIONAL ISOLATE) at character 2", "U+2069 (POP DIRECTIONAL ISOLATE) at character 2"},
		{"left-to-right mark", "a\u200e", "U+200E (LEFT-TO-RIGHT MARK) at character 2", "U+200E (LEFT-TO-RIGHT MARK) at character 2", "U+200E (LEFT-TO-RIGHT MARK) at character 2"},
		{"right-to-left mark", "\u200fa", "U+200F (RIGHT-TO-LEFT MARK) at character 1", "U+200F (RIGHT-TO-LEFT MARK) at character 1", "U+200F (RIGHT-TO-LEFT MARK) at character 1"},
		{"arabic letter mark", "ب\u061c", "U+061C (ARABIC LETTER MARK) at character 2", "U+061C (ARABIC LETTER MARK) at character 2", "U+061C (ARABIC LETTER MARK) at character 2"},
		// zero-width and other invisible format characters
		{"zero width space", "pay\u200bments", "U+200B (ZERO WIDTH SPACE) at character 4", "U+200B (ZERO WIDTH SPACE) at character 4", "U+200B (ZERO WIDTH SPACE) at character 4"},
		{"zero width non-joiner", "a\u200c", "U+200C (ZERO WIDTH NON-JOINER) at character 2", "U+200C (ZERO WIDTH NON-JOINER) at character 2", "U+200C (ZERO WIDTH NON-JOINER) at character 2"},
		{"zero width joiner", "a\u200d", "U+200D (ZERO WIDTH JOINER) at character 2", "U+200D (ZERO WIDTH JOINER) at character 2", "U+200D (ZERO WIDTH JOINER) at character 2"},
		// joiners where writing needs them: between two visible characters
		// (not in a token), and the tags of an emoji flag
		{"zero width joiner in an emoji sequence", "👨\u200d👩\u200d👧", "", "", "U+200D (ZERO WIDTH JOINER) at character 2"},
		{"zero width non-joiner in a Persian word", "می\u200cخواهم", "", "", "U+200C (ZERO WIDTH NON-JOINER) at character 3"},
		{"zero width joiner at the start", "\u200da", "U+200D (ZERO WIDTH JOINER) at character 1", "U+200D (ZERO WIDTH JOINER) at character 1", "U+200D (ZERO WIDTH JOINER) at character 1"},
		{"zero width joiner next to a space", "a \u200db", "U+200D (ZERO WIDTH JOINER) at character 3", "U+200D (ZERO WIDTH JOINER) at character 3", "U+200D (ZERO WIDTH JOINER) at character 3"},
		{"two zero width joiners", "a\u200d\u200db", "U+200D (ZERO WIDTH JOINER) at character 2", "U+200D (ZERO WIDTH JOINER) at character 2", "U+200D (ZERO WIDTH JOINER) at character 2"},
		{"flag of Scotland (tag sequence)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "", "", "U+E0067 at character 2"},
		{"word joiner", "a\u2060", "U+2060 (WORD JOINER) at character 2", "U+2060 (WORD JOINER) at character 2", "U+2060 (WORD JOINER) at character 2"},
		{"invisible separator", "a\u2063b", "U+2063 (INVISIBLE SEPARATOR) at character 2", "U+2063 (INVISIBLE SEPARATOR) at character 2", "U+2063 (INVISIBLE SEPARATOR) at character 2"},
		{"byte order mark", "\ufeffname", "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1", "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1", "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1"},
		{"soft hyphen", "pay\u00adments", "U+00AD (SOFT HYPHEN) at character 4", "U+00AD (SOFT HYPHEN) at character 4", "U+00AD (SOFT HYPHEN) at character 4"},
		{"other format character", "a\U000E0041", "U+E0041 at character 2", "U+E0041 at character 2", "U+E0041 at character 2"},
		{"the first one is named", "\u202e\x00", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 1", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 1", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []struct {
				kind      rules.TextKind
				want, fix string
			}{{rules.OneLine, c.oneLine, oneLineFix}, {rules.MultiLine, c.multiLine, multiLineFix}, {rules.BearerToken, c.token, tokenFix}} {
				want := ""
				if k.want != "" {
					want = "contains " + k.want + k.fix
				}
				if got := rules.CharProblem(c.value, k.kind); got != want {
					t.Errorf("CharProblem(%q, %v)\n  %q\nwant\n  %q", c.value, k.kind, got, want)
				}
			}
			if got := rules.CharProblem(c.value, rules.AnyText); got != "" {
				t.Errorf("CharProblem(%q, AnyText) = %q, want \"\"", c.value, got)
			}
		})
	}
}

// A token is sent after "Bearer ": a space at either end would change what
// the receiver gets; text of the other kinds may have them.
func TestCharProblemTokenSpaces(t *testing.T) {
	for value, want := range map[string]string{
		" tok":      "starts with U+0020 (SPACE): it is sent as \"Authorization: Bearer <token>\", and receivers do not expect a second space after Bearer; remove it",
		"tok ":      "ends with U+0020 (SPACE), which HTTP drops from the end of a header value, so the receiver would get another token; remove it",
		" ":         "starts with U+0020 (SPACE): it is sent as \"Authorization: Bearer <token>\", and receivers do not expect a second space after Bearer; remove it",
		"t o k":     "",
		"tok\u00a0": "",
	} {
		if got := rules.CharProblem(value, rules.BearerToken); got != want {
			t.Errorf("CharProblem(%q, BearerToken)\n  %q\nwant\n  %q", value, got, want)
		}
		if got := rules.CharProblem(value, rules.OneLine); got != "" {
			t.Errorf("CharProblem(%q, OneLine) = %q, want \"\"", value, got)
		}
	}
}

func TestCharProblemInvalidUTF8(t *testing.T) {
	for _, kind := range []rules.TextKind{rules.OneLine, rules.MultiLine, rules.BearerToken} {
		if got, want := rules.CharProblem("caf\xe9", kind), "is not valid UTF-8 (invalid byte 0xE9 at byte 3); send text encoded as UTF-8"; got != want {
			t.Errorf("CharProblem(invalid UTF-8, %v) = %q, want %q", kind, got, want)
		}
	}
}

func TestTextKindDescribe(t *testing.T) {
	for kind, want := range map[rules.TextKind]string{
		rules.AnyText:     "any text",
		rules.OneLine:     "one line of visible text: no control, bidirectional or zero-width characters (but joiners within words and emoji)",
		rules.MultiLine:   "visible text, tabs and line breaks: no other control, bidirectional or zero-width characters (but joiners within words and emoji)",
		rules.BearerToken: "visible characters without spaces at either end: no control, bidirectional or zero-width characters",
	} {
		if got := kind.Describe(); got != want {
			t.Errorf("%d.Describe() = %q, want %q", kind, got, want)
		}
	}
}

// FuzzBearerToken: every token CharProblem accepts makes an Authorization
// header that net/http sends (httpguts is its check) and that the receiver
// reads back unchanged; one line of text holds no line break.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{"tok", "t o k", " tok", "tok ", "a\r\nb", "a\x00", "é\u202e", "\t", "\u00a0", "\u2028", "whsec_abc+/="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if rules.CharProblem(token, rules.OneLine) == "" && strings.ContainsAny(token, "\r\n\u2028\u2029\u0085") {
			t.Fatalf("one-line text %q holds a line break", token)
		}
		if token == "" || rules.CharProblem(token, rules.BearerToken) != "" {
			return
		}
		value := "Bearer " + token
		if !httpguts.ValidHeaderFieldValue(value) {
			t.Fatalf("accepted %q, which net/http refuses in a header", token)
		}
		if got := textproto.TrimString(value); got != value {
			t.Fatalf("accepted %q, which a receiver reads as %q", token, got)
		}
	})
}
