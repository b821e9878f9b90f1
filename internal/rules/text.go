package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// charNames names the invisible characters messages point at, so that a
// user sees what to remove, not only a code point.
var charNames = map[rune]string{
	0x00:   "NUL",
	0x09:   "TAB",
	0x0A:   "LINE FEED",
	0x0B:   "LINE TABULATION",
	0x0C:   "FORM FEED",
	0x0D:   "CARRIAGE RETURN",
	0x1B:   "ESCAPE",
	0x20:   "SPACE",
	0x7F:   "DELETE",
	0x85:   "NEXT LINE",
	0xAD:   "SOFT HYPHEN",
	0x061C: "ARABIC LETTER MARK",
	0x200B: "ZERO WIDTH SPACE",
	0x200C: "ZERO WIDTH NON-JOINER",
	0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x2028: "LINE SEPARATOR",
	0x2029: "PARAGRAPH SEPARATOR",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER",
	0x2061: "FUNCTION APPLICATION",
	0x2062: "INVISIBLE TIMES",
	0x2063: "INVISIBLE SEPARATOR",
	0x2064: "INVISIBLE PLUS",
	0x2066: "LEFT-TO-RIGHT ISOLATE",
	0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE",
	0xFEFF: "ZERO WIDTH NO-BREAK SPACE",
}

// CharName describes r for a message: "U+202E (RIGHT-TO-LEFT OVERRIDE)", or
// "U+0001" for a character without a listed name.
func CharName(r rune) string {
	if name, ok := charNames[r]; ok {
		return fmt.Sprintf("U+%04X (%s)", r, name)
	}
	return fmt.Sprintf("U+%04X", r)
}

// invisible reports whether r is a control character (Unicode Cc) or a
// format character (Cf: bidirectional controls, zero-width characters). In
// text a receiver or a person reads, they hide or reorder what is shown
// ("Trojan Source"), or end a header early.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}

// InvalidUTF8 returns why s is not valid UTF-8, or "": the byte offset of the
// first invalid byte. JSON and HTTP libraries replace such bytes with
// U+FFFD without a word; hookd refuses them instead.
func InvalidUTF8(s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("is not valid UTF-8 (invalid byte 0x%02X at byte %d); send text encoded as UTF-8", s[i], i)
			}
		}
	}
	return "is not valid UTF-8; send text encoded as UTF-8"
}

// firstInvisible returns the first control or format character of s, its
// position in characters (from 1), and whether there is one; allowTab keeps
// horizontal tabs, which a header value may hold.
func firstInvisible(s string, allowTab bool) (r rune, at int, found bool) {
	n := 0
	for _, c := range s {
		n++
		if c == '\t' && allowTab {
			continue
		}
		if invisible(c) {
			return c, n, true
		}
	}
	return 0, 0, false
}

// TextKind is which characters a text field may hold besides visible ones.
type TextKind int

// Kinds of text. Every kind but AnyText refuses control characters (Unicode
// Cc: NUL, C0 and C1 controls, DELETE) and format characters (Cf:
// bidirectional controls such as U+202E, zero-width characters such as
// U+200B, U+FEFF and the other invisible ones), except as stated.
const (
	// AnyText is checked for its length only.
	AnyText TextKind = iota
	// OneLine is a name: one line of visible text, so no tab and no line
	// break either (U+2028 and U+2029 included).
	OneLine
	// MultiLine is a description: line breaks (\n, or \r\n as files
	// written on Windows have them), U+2028, U+2029 and tabs are allowed.
	MultiLine
	// BearerToken is a credential hookd sends as "Authorization: Bearer
	// <token>": as OneLine, and it may neither start nor end with a space
	// (HTTP drops spaces at the end of a header value; one at the start
	// makes two after "Bearer").
	BearerToken
)

// Describe says in a few words what text of kind may hold, for schema and
// validator descriptions.
func (k TextKind) Describe() string {
	switch k {
	case OneLine:
		return "one line of visible text: no control, bidirectional or zero-width characters (but joiners within words and emoji)"
	case MultiLine:
		return "visible text, tabs and line breaks: no other control, bidirectional or zero-width characters (but joiners within words and emoji)"
	case BearerToken:
		return "visible characters without spaces at either end: no control, bidirectional or zero-width characters"
	}
	return "any text"
}

// CharProblem returns why value holds a character text of kind may not
// hold, naming the first such character and its position in characters
// (from 1), or "".
func CharProblem(value string, kind TextKind) string {
	if kind == AnyText {
		return ""
	}
	if p := InvalidUTF8(value); p != "" {
		return p
	}
	n := 0
	prev := rune(-1)
	for i, r := range value {
		n++
		refuse := refused(kind, prev, r, value[i+utf8.RuneLen(r):])
		prev = r
		if !refuse {
			continue
		}
		switch kind {
		case MultiLine:
			return fmt.Sprintf("contains %s at character %d: control characters other than tabs and line breaks (\\n or \\r\\n), bidirectional and zero-width characters are not allowed; remove it", CharName(r), n)
		case BearerToken:
			return fmt.Sprintf("contains %s at character %d: it is sent as \"Authorization: Bearer <token>\", where control, bidirectional and zero-width characters are not allowed; remove it", CharName(r), n)
		}
		return fmt.Sprintf("contains %s at character %d: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it", CharName(r), n)
	}
	if kind == BearerToken {
		if strings.HasPrefix(value, " ") {
			return "starts with U+0020 (SPACE): it is sent as \"Authorization: Bearer <token>\", and receivers do not expect a second space after Bearer; remove it"
		}
		if strings.HasSuffix(value, " ") {
			return "ends with U+0020 (SPACE), which HTTP drops from the end of a header value, so the receiver would get another token; remove it"
		}
	}
	return ""
}

// refused reports whether text of kind may not hold r, after prev (-1 at
// the start) and followed by rest.
func refused(kind TextKind, prev, r rune, rest string) bool {
	if kind != BearerToken && joins(prev, r, rest) {
		return false
	}
	if kind == MultiLine {
		switch r {
		case '\n', '\t', '\u2028', '\u2029':
			return false
		case '\r':
			return !strings.HasPrefix(rest, "\n")
		}
		return invisible(r)
	}
	return invisible(r) || r == '\u2028' || r == '\u2029'
}

// joins reports whether r is a format character that writing needs, where
// it stands: a zero-width joiner or non-joiner between two visible
// characters (emoji sequences such as 👨‍👩‍👧; Persian, Arabic and Indic
// words), or a tag character of an emoji flag sequence (🏴 then tags, such
// as the flag of Scotland). Nowhere else: at either end, next to a space or
// to another invisible character, they hide nothing worth having and can
// hide much (a joiner between two spaces, a tag run after a letter).
func joins(prev, r rune, rest string) bool {
	switch {
	case r == '\u200C' || r == '\u200D':
		next, _ := utf8.DecodeRuneInString(rest)
		return visible(prev) && len(rest) > 0 && visible(next)
	case r >= 0xE0020 && r <= 0xE007F:
		return prev == 0x1F3F4 || (prev >= 0xE0020 && prev <= 0xE007E)
	}
	return false
}

// visible reports whether r shows as something: not a space, not a control
// or format character.
func visible(r rune) bool {
	return r >= 0 && !invisible(r) && !unicode.IsSpace(r)
}
