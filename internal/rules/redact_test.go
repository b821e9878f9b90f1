package rules

import "testing"

func TestRedactSecrets(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Authorization: Bearer tok_0123456789abcdef", "Authorization: Bearer [redacted]"},
		{`{"headers":{"authorization":"bearer s3cr3t-t0ken.value"}}`, `{"headers":{"authorization":"bearer [redacted]"}}`},
		{"secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw= and key whsk_abcDEF123+/= and hookd_0123456789ab", "secret [redacted] and key [redacted] and [redacted]"},
		{"see https://user:pw@example.com/x", "see https://[redacted]@example.com/x"},
		// Not a credential: hookd's own advice, and short words.
		{"missing API key: send it as `Authorization: Bearer <api key>`", "missing API key: send it as `Authorization: Bearer <api key>`"},
		{"bearer of bad news", "bearer of bad news"},
		{"upstream down", "upstream down"},
	} {
		if got := RedactSecrets(tc.in); got != tc.want {
			t.Errorf("RedactSecrets(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
