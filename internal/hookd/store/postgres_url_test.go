package store

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://hookd:s3cret@db:5432/hookd?sslmode=disable", "postgres://hookd:xxxxx@db:5432/hookd?sslmode=disable"},
		{"postgres://hookd:s3cr%40t%2Fpw@db/hookd", "postgres://hookd:xxxxx@db/hookd"},
		// Not percent-encoded: the password still is everything up to
		// the last "@", so none of it shows.
		{"postgres://hookd:s3cr@t/pw@127.0.0.1:53089/hookd?sslmode=disable", "postgres://hookd:xxxxx@127.0.0.1:53089/hookd?sslmode=disable"},
		{"postgres://hookd:qx#ss?wd@db/hookd", "postgres://hookd:xxxxx@db/hookd"},
		{"postgres://hookd@db/hookd?sslmode=disable&password=top", "postgres://hookd@db/hookd?sslmode=disable&password=xxxxx"},
		// An "@" after a "?": a password with "?" or a query with "@";
		// both readings hidden.
		{"postgres://hookd@db/hookd?application_name=ops@example&password=top", "postgres://xxxxx@example&password=xxxxx"},
		{"postgres://u:pa?ss=w@db/hookd", "postgres://xxxxx@db/hookd"},
		{"postgresql://db/hookd", "postgresql://db/hookd"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if got := RedactURL("./hookd.db"); got != "./hookd.db" {
		t.Errorf("a SQLite path changed: %q", got)
	}
}

func TestParsePostgresURL(t *testing.T) {
	cfg, n, err := parsePostgresURL("postgres://hookd:s3cr%40t%2Fpw@db/hookd?pool_max_conns=40&sslmode=disable")
	if err != nil || n != 40 || cfg.Database != "hookd" || cfg.Password != "s3cr@t/pw" || cfg.RuntimeParams["pool_max_conns"] != "" {
		t.Fatalf("parsePostgresURL = %+v, %d, %v", cfg, n, err)
	}
	if _, n, err := parsePostgresURL("postgres://hookd@db/hookd"); err != nil || n != DefaultPostgresConns {
		t.Errorf("no pool_max_conns: %d, %v", n, err)
	}
	for _, tc := range []struct {
		name, dsn, want, secret string
	}{
		{"pool too small", "postgres://hookd:s3cret@db/hookd?pool_max_conns=1",
			`database URL: pool_max_conns="1": want a whole number of connections, at least 2`, "s3cret"},
		// The README's own example of the mistake: Go's parser reads
		// "t/pw@127..." as host and database, and the connection error
		// quoted part of the password.
		{"slash and at not encoded", "postgres://hookd:s3cr@t/pw@127.0.0.1:53089/hookd?sslmode=disable",
			"database URL postgres://hookd:xxxxx@127.0.0.1:53089/hookd?sslmode=disable: the user name or password is not percent-encoded" + encodeHint, "t/pw"},
		{"hash not encoded", "postgres://hookd:qx#ss@db/hookd",
			"database URL postgres://hookd:xxxxx@db/hookd: the user name or password is not percent-encoded", "qx"},
		// Go's parser would say invalid port ":hunter2", or invalid URL
		// escape "%zz": part of the password.
		{"slash not encoded", "postgres://hookd:hunter2/x@db/hookd",
			"database URL postgres://hookd:xxxxx@db/hookd: the user name or password is not percent-encoded", "hunter2"},
		{"question mark not encoded", "postgres://hookd:secret?x@db/hookd",
			"database URL postgres://hookd:xxxxx@db/hookd: the user name or password is not percent-encoded", "secret"},
		{"bad escape", "postgres://hookd:se%zzcret@db/hookd",
			"database URL postgres://hookd:xxxxx@db/hookd: the user name or password is not percent-encoded", "%zz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parsePostgresURL(tc.dsn)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrDatabaseURL) {
				t.Errorf("not ErrDatabaseURL: %v", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n got %q\nwant prefix %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error shows %q: %v", tc.secret, err)
			}
		})
	}
}

func TestRedactErr(t *testing.T) {
	base := errors.New(`failed to connect to user=hookd password=s3cr@t/pw and s3cr%40t%2Fpw`)
	err := redactErr(base, "postgres://hookd:s3cr%40t%2Fpw@db/hookd")
	if strings.Contains(err.Error(), "s3cr") {
		t.Errorf("password left: %v", err)
	}
	if !errors.Is(err, base) {
		t.Error("redactErr broke errors.Is")
	}
	if redactErr(base, "postgres://db/hookd") != base {
		t.Error("no password, yet the error changed")
	}
}

func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"postgres://hookd:s3cr@t/pw@db/hookd", "postgres://a:b@c/d?password=e", "postgres://", "postgres://@", "postgres://:@?="} {
		f.Add(s, "pw")
	}
	f.Add("0", "?=")   // an "@" after "?=": the parser quoted ":Zq9"
	f.Add("db", "a/b") // invalid port ":Zq9a"
	f.Fuzz(func(t *testing.T, prefix, pw string) {
		// The sentinels keep a short password from matching fixed text
		// ("2" in "%23"); a leak of the whole password is what counts.
		pw = "Zq9" + pw + "9qZ"
		if strings.Contains(pw, "@") || strings.Contains(prefix, "@") {
			return // then the password does not end at the last "@"
		}
		dsn := "postgres://u:" + pw + "@" + prefix
		if got := redactURL(dsn); strings.Contains(got, pw) {
			t.Errorf("redactURL(%q) = %q shows the password", dsn, got)
		}
		_, _, err := parsePostgresURL(dsn)
		if err == nil {
			return
		}
		// No piece of the password either: Go's parser quotes the part
		// before a reserved character ("Zq9" + ...).
		for _, piece := range strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune("/?#%:", r) }) {
			if strings.HasPrefix(piece, "Zq9") && strings.Contains(err.Error(), piece) {
				t.Errorf("parsePostgresURL(%q): %v shows %q of the password", dsn, err, piece)
			}
		}
	})
}
