package rules

import (
	"fmt"
	"unicode/utf8"
)

// Limits of the Hooks API. Lengths are counted in characters (Unicode code
// points, as JSON Schema's maxLength counts them), never in bytes.
const (
	MaxNameLength        = 100  // name of a group or a webhook
	MaxDescriptionLength = 1000 // description of a group or a webhook
	MaxURLLength         = 2048 // webhook url
	MaxEvents            = 100  // entries of a webhook's events
	MaxHeaders           = 20   // custom headers of a webhook
	MaxHeaderValueLength = 1024 // value of one custom header
	MaxAuthTokenLength   = 1024 // a webhook's auth_token

	// DefaultGracePeriodHours and MaxGracePeriodHours bound how long a
	// rotated-out signing secret keeps verifying.
	DefaultGracePeriodHours = 24
	MaxGracePeriodHours     = 168
)

// Length is the length of s as the limits count it: in characters.
func Length(s string) int { return utf8.RuneCountInString(s) }

// TooLong returns why value is longer than limit characters, and how many
// to remove, or "".
func TooLong(value string, limit int) string {
	if n := Length(value); n > limit {
		return fmt.Sprintf("must be at most %d characters, got %d; remove %s", limit, n, plural(n-limit, "character"))
	}
	return ""
}

// plural is "1 character" or "2 characters".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// TextProblem returns why value is not acceptable for an optional text field
// of kind of at most limit characters, or "". Such a field is either absent
// (null) or holds at least one character.
func TextProblem(value string, limit int, kind TextKind) string {
	if value == "" {
		return "must not be empty; omit it, or set it to null to clear it"
	}
	return textProblem(value, limit, kind)
}

// RequiredTextProblem returns why value is not acceptable for a required
// text field of kind of at most limit characters (a group's name), or "".
func RequiredTextProblem(value string, limit int, kind TextKind) string {
	if value == "" {
		return "must not be empty; give at least one character"
	}
	return textProblem(value, limit, kind)
}

// textProblem checks the characters, then the length, as CheckHeaders does.
func textProblem(value string, limit int, kind TextKind) string {
	if p := CharProblem(value, kind); p != "" {
		return p
	}
	return TooLong(value, limit)
}

// GracePeriodProblem returns why hours is not a grace period of a rotated
// signing secret (0 to MaxGracePeriodHours), or "".
func GracePeriodProblem(hours int64) string {
	if hours < 0 || hours > MaxGracePeriodHours {
		return fmt.Sprintf("must be from 0 to %d hours, got %d", MaxGracePeriodHours, hours)
	}
	return ""
}

// EventCountProblem returns why a webhook's events with n entries are too
// few or too many (1 to MaxEvents), or "".
func EventCountProblem(n int) string {
	switch {
	case n < 1:
		return `must list at least one event type such as "transfer.created", a category wildcard such as "transfer.*", or "*" for every event type`
	case n > MaxEvents:
		return fmt.Sprintf(`must list at most %d entries, got %d; a category wildcard such as "transfer.*" covers every type of its category in one entry`, MaxEvents, n)
	}
	return ""
}
