package strictjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Text that is not valid UTF-8, or a \u escape of half a UTF-16 surrogate
// pair, is something encoding/json silently replaces with U+FFFD: what was
// stored would not be what was sent. hookd refuses it instead, pointing at
// the member.
const detailInvalidUTF8 = "is not valid UTF-8 text; send strings encoded as UTF-8 (no invalid bytes, no unpaired \\ud800-\\udfff escapes)"

// textFault returns the JSON pointer of the first member (in sorted order)
// of the JSON value raw whose text is not valid, or false.
func textFault(raw []byte, pointer string) (string, bool) {
	if utf8.Valid(raw) && !loneSurrogate(raw) {
		return "", false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return pointer, true
	}
	switch raw[0] {
	case '{':
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) == nil {
			for _, name := range SortedKeys(members) {
				if !utf8.ValidString(name) {
					break // a member name: point at the object
				}
				if at, bad := textFault(members[name], pointer+"/"+EscapePointer(name)); bad {
					return at, true
				}
			}
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for i, item := range items {
				if at, bad := textFault(item, pointer+"/"+strconv.Itoa(i)); bad {
					return at, true
				}
			}
		}
	}
	return pointer, true
}

// loneSurrogate reports whether the JSON text holds a \u escape of a
// surrogate that is not half of a pair.
func loneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escaped character, such as \\ or \"
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			continue
		}
		i += 5
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xDC00 { // a low surrogate with no high one before it
			return true
		}
		if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
			return true
		}
		low, ok := hex4(raw, i+3)
		if !ok || low < 0xDC00 || low > 0xDFFF {
			return true
		}
		i += 6
	}
	return false
}

func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 32)
	return rune(n), err == nil
}
