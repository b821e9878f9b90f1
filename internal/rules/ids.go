package rules

import (
	"fmt"
	"regexp"
)

// IDKind is a kind of hookd id: a prefix that tells what it names, then
// letters and digits (api/openapi.yaml). Every check of an id's shape, in
// the server's paths and queries and in the provider's arguments, uses one
// of these.
type IDKind struct {
	Prefix string // such as "grp_"
	What   string // such as "group"
	// Pattern is the shape; the contract's schema says the same.
	Pattern *regexp.Regexp
}

func newIDKind(prefix, what string) IDKind {
	return IDKind{Prefix: prefix, What: what, Pattern: regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `[A-Za-z0-9]+$`)}
}

// The kinds of ids users pass to hookd.
var (
	GroupID    = newIDKind("grp_", "group")
	WebhookID  = newIDKind("wh_", "webhook")
	DeliveryID = newIDKind("dlv_", "delivery")
)

// Example is an id of this kind, for messages.
func (k IDKind) Example() string { return k.Prefix + "0123456789abcdefghij" }

// Problem returns why s is not an id of this kind, or "". The message
// follows the name of the field or parameter that holds s.
func (k IDKind) Problem(s string) string {
	if k.Pattern.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("must be a %s id such as %s, got %q", k.What, k.Example(), s)
}
