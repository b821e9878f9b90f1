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
