package rules_test

import (
	"regexp"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// The expected values were computed once with the documented pipeline:
//
//	printf '%s' "$s" | sha256sum | cut -c1-16
func TestFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": "96ad2ccd81462a76",
		"tok-123":                                "c8963414bf6c4c86",
		"é":                                      "4a99557e4033c353", // the UTF-8 bytes c3 a9
		"abc":                                    "ba7816bf8f01cfea", // FIPS 180-2 test vector
		"":                                       "",
	} {
		if got := rules.Fingerprint(in); got != want {
			t.Errorf("Fingerprint(%q) = %q, want %q", in, got, want)
		}
	}
	shape := regexp.MustCompile(`^[0-9a-f]{16}$`)
	s, _ := rules.NewSigningSecret(rules.DefaultSecretBytes)
	if fp := rules.Fingerprint(s); !shape.MatchString(fp) || len(fp) != rules.FingerprintLength {
		t.Errorf("Fingerprint of a secret = %q", fp)
	}
	if rules.Fingerprint(s) == rules.Fingerprint(s+" ") {
		t.Error("the fingerprint ignores a change of the text")
	}
}
