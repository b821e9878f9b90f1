package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// EventNames is the set of event type names of a catalog ("category.name"),
// which is all that checking a subscription pattern needs. It is immutable.
type EventNames struct {
	types      []string // in the catalog's order
	known      map[string]bool
	categories []string // sorted
	category   map[string]bool
}

// NewEventNames returns the set of the given type names.
func NewEventNames(types []string) *EventNames {
	n := &EventNames{
		types:    append([]string(nil), types...),
		known:    make(map[string]bool, len(types)),
		category: map[string]bool{},
	}
	for _, t := range types {
		n.known[t] = true
		if c, _, ok := strings.Cut(t, "."); ok && !n.category[c] {
			n.category[c] = true
			n.categories = append(n.categories, c)
		}
	}
	sort.Strings(n.categories)
	return n
}

// ValidatePattern checks one subscription entry: a type of the set, a
// category wildcard such as "transfer.*", or "*". The error says what is
// wrong and, for a near miss, which type or category was probably meant.
func (n *EventNames) ValidatePattern(p string) error {
	switch {
	case p == "*":
		return nil
	case strings.HasSuffix(p, ".*"):
		category := strings.TrimSuffix(p, ".*")
		if n.category[category] {
			return nil
		}
		msg := fmt.Sprintf("unknown event category %q", p)
		if s := closest(category, n.categories); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s+".*")
		}
		return errors.New(msg + "; categories: " + strings.Join(n.categories, ", "))
	case strings.Contains(p, "*"):
		return fmt.Errorf("%q is not a valid pattern: a wildcard is only allowed as \"*\" or \"category.*\"", p)
	}
	return n.checkKnown(p)
}

// ValidateType checks one event type, where a type is asked for and a
// pattern is not (such as the event a list of webhooks is filtered by):
// a type of the set, with a suggestion for a near miss.
func (n *EventNames) ValidateType(t string) error {
	if err := CheckEventTypeShape(t); err != nil {
		return err
	}
	return n.checkKnown(t)
}

// CheckEventTypeShape is what can be said of an event type without a
// catalog: it is not empty and not a pattern.
func CheckEventTypeShape(t string) error {
	switch {
	case t == "":
		return errors.New("must be an event type such as \"transfer.created\", not empty")
	case strings.Contains(t, "*"):
		return fmt.Errorf("%q is a pattern: give one event type, such as \"transfer.created\"", t)
	}
	return nil
}

// checkKnown checks that t is a type of the set.
func (n *EventNames) checkKnown(t string) error {
	if n.known[t] {
		return nil
	}
	msg := fmt.Sprintf("unknown event type %q", t)
	if s := n.Suggest(t); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errors.New(msg)
}

// Suggest returns the type closest to s, or "" when none is close.
func (n *EventNames) Suggest(s string) string { return closest(s, n.types) }

// MatchEvent reports whether a subscription pattern ("*", "category.*" or a
// type) covers an event type.
func MatchEvent(pattern, eventType string) bool {
	if pattern == "*" || pattern == eventType {
		return true
	}
	if category, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(eventType, category+".")
	}
	return false
}

// PatternsCovering returns every subscription pattern that covers the
// event type t: "*", each category wildcard of t ("transfer.*" for
// "transfer.created") and t itself. MatchEvent(p, t) holds exactly for the
// patterns returned, so a store can find the webhooks subscribed to t by
// looking their patterns up in this list.
func PatternsCovering(t string) []string {
	out := []string{"*"}
	for i := range len(t) {
		if t[i] == '.' {
			out = append(out, t[:i]+".*")
		}
	}
	return append(out, t)
}

// Closest returns the candidate closest to s, as for an event type (see
// closest), or "" when none is close: the "did you mean" of a value that
// must be one of a few words, such as a delivery status.
func Closest(s string, candidates []string) string { return closest(s, candidates) }

// closest returns the candidate with the smallest edit distance to s
// (ignoring the case of s), when that distance is small relative to the
// length: at most a third of it, and at least 2 is always close enough.
// Ties go to the earlier candidate.
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	lower := strings.ToLower(s)
	for _, cand := range candidates {
		d := levenshtein(lower, cand)
		if bestDist < 0 || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(s)/3) {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b, in characters.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
