package rules

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// charNames names the invisible characters messages point at, so that a
// user sees what to remove, not only a code point.
var charNames = map[rune]string{
	0x00:   "NUL",
	0x09:   "TAB",
	0x0A:   "LINE FEED",
	0x0D:   "CARRIAGE RETURN",
	0x20:   "SPACE",
	0x7F:   "DELETE",
	0xAD:   "SOFT HYPHEN",
	0x061C: "ARABIC LETTER MARK",
	0x200B: "ZERO WIDTH SPACE",
	0x200C: "ZERO WIDTH NON-JOINER",
	0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER",
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
