package console

import (
	"fmt"
	"time"
)

// The console's forms send what a browser's fields give: a time is a
// datetime-local value, read as UTC. The API's parameters are another
// thing (RFC 3339 times, named created_after): what the form sent is
// checked as the form's before it becomes the API's, and a mistake names
// the field as the page labels it, with a fix the field can take. What
// the API refuses after that is said with the same labels (inForm).

// formError is a mistake in a form's fields, said in the form's words.
type formError string

func (e formError) Error() string { return string(e) }

// Field labels, as the pages show them.
const (
	labelFrom  = "From (UTC)"
	labelTo    = "To (UTC)"
	labelSince = "Since (UTC)"
)

// deliveriesLabels and recoverLabels name the API's parameters as the
// deliveries page's filter and the recover form label the fields sent as
// them.
var (
	deliveriesLabels = map[string]string{"status": "Status", "event_type": "Event type", "is_test": "Test",
		"created_after": labelFrom, "created_before": labelTo}
	recoverLabels = map[string]string{"created_after": labelSince, "created_before": labelSince}
)

// shownTime is a time as the pages show it and the fields take it.
const shownTime = "2006-01-02 15:04:05"

// localField reads the datetime-local value of the field label: ok false,
// with a message, when it is not one ("" is no value: ok, zero time).
func localField(label, value string) (time.Time, string) {
	if value == "" {
		return time.Time{}, ""
	}
	if t, ok := parseLocal(value); ok {
		return t, ""
	}
	return time.Time{}, fmt.Sprintf("%s: %q is not a date and time; choose one in the %s field, such as %s (read as UTC).",
		label, value, label, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC).Format(shownTime))
}

// sinceProblem says what is wrong with a recovery's since, "" when it is
// a time (a required field: empty is a mistake too).
func sinceProblem(since string) string {
	if since == "" {
		return labelSince + ": choose the date and time to recover from."
	}
	_, msg := localField(labelSince, since)
	return msg
}
