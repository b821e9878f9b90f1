// Package rules holds the validation rules that both the hookd server and
// the Terraform provider apply, with their error messages, so that the two
// never disagree: length limits (counted in characters), the characters
// text may hold (TextKind: no control, bidirectional or zero-width
// characters), custom delivery headers, signing secrets, fingerprints,
// event patterns and event types' stability. It depends on
// the standard library only, plus golang.org/x/net/http/httpguts for the
// HTTP token and field-value grammar that net/http itself applies, and
// golang.org/x/net/idna for the mapping of non-ASCII hosts that net/http
// applies before it dials (ASCIIHost).
//
// Messages are fragments that follow the name of the field they concern
// ("must be at most 100 characters, got 101"); callers add the field.
//
// # Fingerprints
//
// Fingerprint identifies a secret without revealing it: the first 8 bytes of
// the SHA-256 of the value's UTF-8 text, in lowercase hex (16 characters).
// For a signing secret the text is the whole "whsec_..." string. It is
// reproducible in a shell:
//
//	printf '%s' "$secret" | sha256sum | cut -c1-16
package rules
