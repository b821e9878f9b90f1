// Package ids makes the prefixed ids of hookd objects (grp_, wh_, evt_,
// dlv_, req_): the prefix tells a reader what an id names.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"time"
)

// An id is its prefix and 20 characters of [a-z2-7]: 9 that encode the
// milliseconds since the Unix epoch (45 bits, until the year 3085), in an
// alphabet in ASCII order so that ids sort as they were made, then 11
// random ones (55 bits).
//
// Why time first: ids are the primary keys of the store's tables and the
// leading column of the attempts' key. Random keys put every insert on a
// random page of those B-trees, so that each commit of the delivery engine
// wrote a page per row to the WAL; ids made in order land on the same few
// pages (as UUIDv7 and ULID do). The random part keeps ids unguessable
// enough to be worthless to guess (every call needs an API key anyway) and
// ids made in the same millisecond distinct.
const (
	timeChars   = 9
	randomChars = 11
)

var (
	// sortable: the alphabet of the time part, in ASCII order.
	sortable = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)
	random   = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// New returns prefix followed by an id made now.
func New(prefix string) string { return At(prefix, time.Now()) }

// At returns prefix followed by an id made at t.
func At(prefix string, t time.Time) string {
	ms := uint64(t.UnixMilli()) //nolint:gosec // before 1970 is not a time hookd runs at
	// 45 bits of ms, big-endian, in the top of 6 bytes (48 bits): the
	// first 9 base32 characters (45 bits) are exactly the time.
	var tb [6]byte
	v := ms << 3
	for i := 5; i >= 0; i-- {
		tb[i] = byte(v)
		v >>= 8
	}
	var rb [7]byte // 56 bits, of which the 11 characters use 55
	_, _ = rand.Read(rb[:])
	return prefix + sortable.EncodeToString(tb[:])[:timeChars] + random.EncodeToString(rb[:])[:randomChars]
}
