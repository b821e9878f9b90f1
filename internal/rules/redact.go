package rules

import "regexp"

// userinfo matches the user:password@ part of URLs in free text, even of
// URLs that do not parse.
var userinfo = regexp.MustCompile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/?#\\r\\n@\"'`]*@")

// RedactUserinfo replaces the credentials of every URL in s
// (https://user:pw@host becomes https://[redacted]@host): a URL that
// carries them is refused, and the refusal must not print the password.
func RedactUserinfo(s string) string {
	return userinfo.ReplaceAllString(s, "${1}[redacted]@")
}

// secretLike finds signing secrets, signing keys and API keys in free text
// (error details and receivers' answers echo input now and then).
var secretLike = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+|whsk_[A-Za-z0-9+/=]+|hookd_[A-Za-z0-9_-]{8,}`)

// bearer finds the token of an Authorization: Bearer credential, which a
// receiver that echoes its request would quote back.
var bearer = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}`)

// RedactSecrets replaces everything in s shaped like a credential: signing
// secrets and keys, API keys, bearer tokens, and the user information of
// URLs. One rule for the client's errors and the provider's quotes of
// what a receiver answered.
func RedactSecrets(s string) string {
	s = secretLike.ReplaceAllString(s, "[redacted]")
	s = bearer.ReplaceAllString(s, "${1}[redacted]")
	return RedactUserinfo(s)
}
