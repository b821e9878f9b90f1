// Package pgtest starts real PostgreSQL servers for tests.
//
// hookd's PostgreSQL store is only as correct as its SQL is on a real
// server: locking (FOR UPDATE SKIP LOCKED), isolation levels, constraint
// errors and their codes cannot be faked by a mock or by SQLite. So the
// store's tests run against PostgreSQL from Debian's `postgresql` package,
// started here from its own binaries (initdb, postgres) in a temporary
// directory, on 127.0.0.1 and a free port, with no unix socket and trust
// authentication. Nothing here uses a cluster the package may have set up
// as a system service.
//
// One server per test binary is shared (Database gives each test its own
// empty database on it); Main stops it when the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Database connects as the trusted superuser. OwnedDatabase instead sets
// a database up as the README tells an operator to (createuser --pwprompt,
// createdb -O): a role that may only log in, owns the database and must
// give its password (scram-sha-256), so that hookd is tested as it runs.
//
// A developer without PostgreSQL gets a skip that says what to install. CI
// sets HOOKD_REQUIRE_POSTGRES=1, which turns that skip into a failure: a
// suite whose database tests silently skip would pass while testing nothing.
package pgtest
