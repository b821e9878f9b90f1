package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrDatabaseURL marks a PostgreSQL URL hookd cannot use as written.
var ErrDatabaseURL = errors.New("database URL")

// parsePostgresURL reads dsn into pgx's configuration, taking out the
// parameter that is hookd's (pool_max_conns) rather than PostgreSQL's. A
// user name or password with a reserved character that is not
// percent-encoded is refused before any connection: Go's URL parser would
// read part of the password as the host or the database, and the error
// that followed would quote that part.
func parsePostgresURL(dsn string) (*pgx.ConnConfig, int, error) {
	notEncoded := fmt.Errorf("%w %s: the user name or password is not percent-encoded%s", ErrDatabaseURL, redactURL(dsn), encodeHint)
	d := splitDSN(dsn)
	if d.hasUserinfo && !wellEncoded(d.user+":"+d.password) {
		// Checked before Go's parser, whose errors quote the part of the
		// password it stumbled on (invalid port ":hunter2").
		return nil, 0, notEncoded
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// url.Error quotes the whole URL; keep only what went wrong,
		// which the check above keeps clear of the password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if d.ambiguous {
			// The password may be what the parser quotes.
			return nil, 0, notEncoded
		}
		return nil, 0, fmt.Errorf("%w %s: %w", ErrDatabaseURL, redactURL(dsn), redactErr(err, dsn))
	}
	if d.hasUserinfo && !userinfoMatches(u, d) {
		return nil, 0, notEncoded
	}
	conns := DefaultPostgresConns
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return nil, 0, fmt.Errorf("%w: pool_max_conns=%q: want a whole number of connections, at least 2", ErrDatabaseURL, v)
		}
		conns = n
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, 0, fmt.Errorf("%w %s: %w", ErrDatabaseURL, redactURL(dsn), redactErr(err, dsn))
	}
	return cfg, conns, nil
}

// encodeHint is the fix for the commonest mistake in a database URL.
const encodeHint = "; percent-encode reserved characters in the user name and password (@ as %40, / as %2F, : as %3A, # as %23, ? as %3F, % as %25), e.g. postgres://hookd:s3cr%40t@db.internal:5432/hookd"

// dsnParts is a URL split by hand, the way a person reads it: the user
// information runs from "://" to the last "@" before the query, whatever
// it holds, so that a password with a "/", "#" or "@" in it is still
// recognised as the password (and hidden).
type dsnParts struct {
	scheme      string // "postgres://"
	user        string // as typed
	password    string // as typed
	hasPassword bool
	hasUserinfo bool
	rest        string // host, path and query
	// ambiguous: an "@" follows a "?", so either the query holds an "@"
	// or the password holds a "?": redaction hides both readings.
	ambiguous bool
}

func splitDSN(dsn string) dsnParts {
	var d dsnParts
	i := strings.Index(dsn, "://")
	if i < 0 {
		d.rest = dsn
		return d
	}
	d.scheme, d.rest = dsn[:i+3], dsn[i+3:]
	at := strings.LastIndexByte(d.rest, '@')
	if q := strings.IndexByte(d.rest, '?'); q >= 0 && q < at && strings.Contains(d.rest[q:at], "=") {
		// Most likely the "@" is in the query
		// (application_name=ops@example), but the password may hold
		// "?" and "=".
		d.ambiguous = true
		at = strings.LastIndexByte(d.rest[:q], '@')
	}
	if at < 0 {
		return d
	}
	d.hasUserinfo = true
	userinfo := d.rest[:at]
	d.rest = d.rest[at+1:]
	d.user, d.password, d.hasPassword = strings.Cut(userinfo, ":")
	return d
}

// wellEncoded reports whether userinfo (user:password as typed) holds no
// reserved character a URL's user information cannot carry as it is
// ("/", "?", "#", "@") and no "%" that does not start an escape.
func wellEncoded(userinfo string) bool {
	if strings.ContainsAny(userinfo, "/?#@") {
		return false
	}
	_, err := url.PathUnescape(userinfo)
	return err == nil
}

// userinfoMatches reports whether Go's parser read the same user name and
// password as a person does (splitDSN): false when a reserved character
// in them was not percent-encoded.
func userinfoMatches(u *url.URL, d dsnParts) bool {
	if u.User == nil {
		return false
	}
	user, err := url.PathUnescape(d.user)
	if err != nil || user != u.User.Username() {
		return false
	}
	pw, ok := u.User.Password()
	if ok != d.hasPassword {
		return false
	}
	want, err := url.PathUnescape(d.password)
	return err == nil && want == pw
}

// RedactURL names the database db in logs and errors: a PostgreSQL URL
// without its password, a SQLite path as it is.
func RedactURL(db string) string {
	if !IsPostgresURL(db) {
		return db
	}
	return redactURL(db)
}

// redactURL is dsn without its password: the one in the user information,
// encoded or not (splitDSN), and a password= parameter.
func redactURL(dsn string) string {
	d := splitDSN(dsn)
	if d.ambiguous {
		// Hide everything up to the last "@": the host may go with it,
		// the password never shows.
		at := strings.LastIndexByte(dsn, '@')
		return d.scheme + "xxxxx@" + redactQuery(dsn[at+1:])
	}
	out := d.scheme
	if d.hasUserinfo {
		out += d.user
		if d.hasPassword {
			out += ":xxxxx"
		}
		out += "@"
	}
	return out + redactQuery(d.rest)
}

// passwordParam is a password= parameter of a URL's query.
var passwordParam = regexp.MustCompile(`(?i)([?&]password=)[^&]*`)

// redactQuery hides the value of any password= parameter in s.
func redactQuery(s string) string {
	return passwordParam.ReplaceAllString(s, "${1}xxxxx")
}

// redactErr keeps the password out of an error that quotes the URL: the
// password as typed and as decoded, and a password= parameter's value.
func redactErr(err error, dsn string) error {
	msg := err.Error()
	var secrets []string
	d := splitDSN(dsn)
	passwords := []string{d.password}
	if d.ambiguous {
		// The other reading: the password runs to the last "@".
		_, rest, _ := strings.Cut(dsn, "://")
		userinfo := rest[:strings.LastIndexByte(rest, '@')]
		_, pw, _ := strings.Cut(userinfo, ":")
		passwords = append(passwords, pw)
	}
	for _, pw := range passwords {
		if pw == "" {
			continue
		}
		secrets = append(secrets, pw)
		if dec, derr := url.PathUnescape(pw); derr == nil {
			secrets = append(secrets, dec)
		}
	}
	if _, query, ok := strings.Cut(d.rest, "?"); ok {
		if q, qerr := url.ParseQuery(query); qerr == nil && q.Get("password") != "" {
			secrets = append(secrets, q.Get("password"))
		}
	}
	redacted := msg
	for _, s := range secrets {
		redacted = strings.ReplaceAll(redacted, s, "xxxxx")
	}
	if redacted == msg {
		return err
	}
	return redactedError{msg: redacted, err: err}
}

// redactedError is err with the password taken out of its message; it
// still unwraps to err for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
