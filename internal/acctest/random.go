package acctest

import (
	"crypto/rand"
	"encoding/base32"
)

func randomSuffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
