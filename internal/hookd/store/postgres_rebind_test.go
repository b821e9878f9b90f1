package store

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE id = ? AND x IN (?, ?)`, `SELECT a FROM t WHERE id = $1 AND x IN ($2, $3)`},
		{`SELECT '?' , "a?b", ? -- what?
			FROM t WHERE y = ?`, `SELECT '?' , "a?b", $1 -- what?
			FROM t WHERE y = $2`},
		{`SELECT 'it''s?', ?`, `SELECT 'it''s?', $1`},
		{`SELECT 'open ?`, `SELECT 'open ?`},
		{`SELECT a - ? FROM t`, `SELECT a - $1 FROM t`},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if got := rebind(tc.in); got != tc.want { // from the cache
			t.Errorf("rebind(%q) again = %q", tc.in, got)
		}
	}
}
