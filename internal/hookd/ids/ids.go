// Package ids makes the prefixed random ids of hookd objects (grp_, wh_,
// evt_, dlv_, req_): the prefix tells a reader what an id names.
package ids

import (
	"crypto/rand"
	"encoding/base32"
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix followed by 20 random characters (100 bits).
func New(prefix string) string {
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	return prefix + lowerBase32.EncodeToString(b)[:20]
}
