package rules_test

import (
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestSchemeProblem(t *testing.T) {
	for _, s := range rules.SignatureSchemes() {
		if p := rules.SchemeProblem(s); p != "" {
			t.Errorf("SchemeProblem(%q) = %q", s, p)
		}
	}
	for _, s := range []string{"", "v2", "V1", "v1 ", "ed25519"} {
		if p := rules.SchemeProblem(s); !strings.HasPrefix(p, `must be "v1" (`) {
			t.Errorf("SchemeProblem(%q) = %q", s, p)
		}
	}
}
