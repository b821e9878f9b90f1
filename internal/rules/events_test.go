package rules_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var testNames = rules.NewEventNames([]string{
	"transfer.created", "transfer.downloaded", "transfer.expired", "transfer.deleted",
	"workspace.created", "workspace.plan_changed", "api_key.created", "api_key.revoked",
	"webhook.endpoint_disabled", "scim.user_provisioned", "saml.login_succeeded", "saml.login_failed",
})

func TestValidatePattern(t *testing.T) {
	for _, ok := range []string{"*", "transfer.*", "api_key.*", "transfer.created", "saml.login_failed"} {
		if err := testNames.ValidatePattern(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, c := range []struct{ pattern, want string }{
		{"transfer.craeted", `unknown event type "transfer.craeted" (did you mean "transfer.created"?)`},
		{"Transfer.Created", `unknown event type "Transfer.Created" (did you mean "transfer.created"?)`},
		{"transfr.*", `unknown event category "transfr.*" (did you mean "transfer.*"?); categories: api_key, saml, scim, transfer, webhook, workspace`},
		{"payment.*", `unknown event category "payment.*"; categories: api_key, saml, scim, transfer, webhook, workspace`},
		{"transfer.*.x", `"transfer.*.x" is not a valid pattern: a wildcard is only allowed as "*" or "category.*"`},
		{"*.created", `"*.created" is not a valid pattern: a wildcard is only allowed as "*" or "category.*"`},
		{"**", `"**" is not a valid pattern: a wildcard is only allowed as "*" or "category.*"`},
		{".*", `unknown event category ".*"`},
		{"completely_wrong", `unknown event type "completely_wrong"`},
		{"", `unknown event type ""`},
	} {
		err := testNames.ValidatePattern(c.pattern)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: %v, want %s", c.pattern, err, c.want)
		}
		if c.pattern == "completely_wrong" && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("a far miss gets a suggestion: %v", err)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"transfer.created":  "transfer.created",
		"transfer.craeted":  "transfer.created",
		"TRANSFER.DELETED":  "transfer.deleted",
		"saml.login_faild":  "saml.login_failed",
		"api_key.revokd":    "api_key.revoked",
		"x":                 "",
		"nothing.like_this": "",
	} {
		if got := testNames.Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := rules.NewEventNames(nil).Suggest("transfer.created"); got != "" {
		t.Errorf("an empty set suggests %q", got)
	}
	// A name without a category adds none.
	if err := rules.NewEventNames([]string{"odd"}).ValidatePattern("odd.*"); err == nil {
		t.Error(`"odd.*" accepted for a type without a category`)
	}
}

func TestClosest(t *testing.T) {
	statuses := []string{"pending", "retrying", "succeeded", "dead_lettered", "canceled"}
	for in, want := range map[string]string{
		"succeedd":      "succeeded",
		"Cancelled":     "canceled",
		"dead-lettered": "dead_lettered",
		"failed":        "",
	} {
		if got := rules.Closest(in, statuses); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchEvent(t *testing.T) {
	for _, c := range []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "transfer.created", true},
		{"transfer.*", "transfer.created", true},
		{"transfer.*", "transfers.created", false},
		{"transfer.*", "transfer", false},
		{"transfer.created", "transfer.created", true},
		{"transfer.created", "transfer.created_x", false},
		{"transfer.created", "Transfer.Created", false},
		{"api_key.*", "api.key", false},
		{"", "transfer.created", false},
	} {
		if got := rules.MatchEvent(c.pattern, c.typ); got != c.want {
			t.Errorf("MatchEvent(%q, %q) = %v", c.pattern, c.typ, got)
		}
	}
}

func TestValidateType(t *testing.T) {
	for _, ok := range []string{"transfer.created", "saml.login_failed"} {
		if err := testNames.ValidateType(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"transfer.craeted": `unknown event type "transfer.craeted" (did you mean "transfer.created"?)`,
		"completely_wrong": `unknown event type "completely_wrong"`,
		"transfer.*":       `"transfer.*" is a pattern: give one event type, such as "transfer.created"`,
		"*":                `"*" is a pattern: give one event type, such as "transfer.created"`,
		"":                 `must be an event type such as "transfer.created", not empty`,
	} {
		if err := testNames.ValidateType(in); err == nil || err.Error() != want {
			t.Errorf("ValidateType(%q) = %v, want %s", in, err, want)
		}
	}
	// The shape alone needs no catalog.
	if err := rules.CheckEventTypeShape("transfer.craeted"); err != nil {
		t.Errorf("CheckEventTypeShape of a type: %v", err)
	}
}

// PatternsCovering lists exactly the patterns MatchEvent accepts.
func TestPatternsCovering(t *testing.T) {
	if got, want := strings.Join(rules.PatternsCovering("transfer.created"), " "), "* transfer.* transfer.created"; got != want {
		t.Errorf("PatternsCovering(transfer.created) = %s, want %s", got, want)
	}
	types := []string{"transfer.created", "transfer", "a.b.c", ".x", "x.", "api_key.created", "transfers.created"}
	patterns := []string{"*", "", "**", ".*", "transfer.*", "transfer.created", "transfer", "a.*", "a.b.*", "a.b.c",
		"a.b.c.*", "x.*", "api.*", "api_key.*", "transfers.*", "*.created", "transfer.created.*"}
	for _, typ := range types {
		covering := map[string]bool{}
		for _, p := range rules.PatternsCovering(typ) {
			covering[p] = true
			if !rules.MatchEvent(p, typ) {
				t.Errorf("PatternsCovering(%q) holds %q, which MatchEvent rejects", typ, p)
			}
		}
		for _, p := range patterns {
			if rules.MatchEvent(p, typ) && !covering[p] {
				t.Errorf("MatchEvent(%q, %q) but PatternsCovering(%q) = %v lacks it", p, typ, typ, rules.PatternsCovering(typ))
			}
		}
	}
}

// FuzzPatternsCovering: for any type and pattern, MatchEvent accepts the
// pattern exactly when PatternsCovering lists it, so a store that looks
// patterns up in that list finds the webhooks MatchEvent would.
//
//	go test -fuzz FuzzPatternsCovering -fuzztime 30s ./internal/rules/
func FuzzPatternsCovering(f *testing.F) {
	for _, seed := range [][2]string{
		{"transfer.created", "*"}, {"transfer.created", "transfer.*"}, {"transfer.created", "transfers.*"},
		{"a.b.c", "a.b.*"}, {"a.b.c", "a.*"}, {"a..b", "a..*"}, {".x", ".*"}, {"x.", "x.*"},
		{"*", "*"}, {"*.x", "*.*"}, {"", ""}, {"", "*"}, {"transfer", "transfer.*"}, {"é.ü", "é.*"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, typ, pattern string) {
		covering := rules.PatternsCovering(typ)
		if got, want := slices.Contains(covering, pattern), rules.MatchEvent(pattern, typ); got != want {
			t.Fatalf("MatchEvent(%q, %q) = %v, but PatternsCovering(%q) = %q", pattern, typ, want, typ, covering)
		}
		for _, p := range covering {
			if !rules.MatchEvent(p, typ) {
				t.Fatalf("PatternsCovering(%q) holds %q, which MatchEvent rejects", typ, p)
			}
		}
	})
}
