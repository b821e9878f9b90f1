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

func TestRedactURL(t *testing.T) {
	if got, want := redactURL("postgres://hookd:s3cret@db:5432/hookd?sslmode=disable"), "postgres://hookd:xxxxx@db:5432/hookd?sslmode=disable"; got != want {
		t.Errorf("redactURL = %q, want %q", got, want)
	}
	if _, _, err := parsePostgresURL("postgres://hookd:s3cret@db/hookd?pool_max_conns=1"); err == nil || err.Error() != `database URL: pool_max_conns="1": want a whole number of connections, at least 2` {
		t.Errorf("pool_max_conns=1: %v", err)
	}
	cfg, n, err := parsePostgresURL("postgres://hookd:s3cret@db/hookd?pool_max_conns=40&sslmode=disable")
	if err != nil || n != 40 || cfg.Database != "hookd" || cfg.RuntimeParams["pool_max_conns"] != "" {
		t.Errorf("parsePostgresURL = %+v, %d, %v", cfg, n, err)
	}
}
