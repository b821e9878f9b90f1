package pgtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// OwnedDatabase sets up what the README's createuser --pwprompt and
// createdb -O make on Debian: a role that may log in and nothing more, the
// owner of its database, whose password is checked; and removes it all at
// the end of the test.
func TestOwnedDatabase(t *testing.T) {
	var o OwnedDB
	t.Run("create", func(t *testing.T) {
		o = OwnedDatabase(t)
		ctx := t.Context()
		conn := connect(t, o.DSN())

		var super, createDB, createRole, login bool
		if err := conn.QueryRow(ctx, "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = current_user").
			Scan(&super, &createDB, &createRole, &login); err != nil {
			t.Fatal(err)
		}
		if super || createDB || createRole || !login {
			t.Errorf("role %s: superuser %v, createdb %v, createrole %v, login %v; want login only", o.Role, super, createDB, createRole, login)
		}
		var owner, user, db string
		if err := conn.QueryRow(ctx, "SELECT pg_get_userbyid(datdba), current_user, current_database() FROM pg_database WHERE datname = current_database()").
			Scan(&owner, &user, &db); err != nil {
			t.Fatal(err)
		}
		if owner != o.Role || user != o.Role || db != o.Database {
			t.Errorf("owner %s, user %s, database %s; want %s, %s, %s", owner, user, db, o.Role, o.Role, o.Database)
		}
		// The owner may create in public (PostgreSQL 15 gives that to the
		// database's owner, no longer to PUBLIC).
		if _, err := conn.Exec(ctx, "CREATE TABLE public.hooks (id int)"); err != nil {
			t.Errorf("the owner cannot create a table in public: %v", err)
		}
		var pgErr *pgconn.PgError
		err := o.ping(ctx, o.DSNWithPassword("wrong"))
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			t.Errorf("a wrong password: %v, want invalid_password (28P01)", err)
		}
		if !strings.Contains(o.DSN(), "%2F") || !strings.Contains(o.DSN(), "%40") {
			t.Errorf("DSN %s: the password's / and @ are not percent-encoded", o.DSN())
		}
	})
	if t.Skipped() || t.Failed() {
		return
	}
	s, err := sharedServer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := connect(t, s.DSN("postgres"))
	var roles, dbs int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = $1), (SELECT count(*) FROM pg_database WHERE datname = $2)", o.Role, o.Database).
		Scan(&roles, &dbs); err != nil {
		t.Fatal(err)
	}
	if roles != 0 || dbs != 0 {
		t.Errorf("after the test: %d roles %s, %d databases %s; want none", roles, o.Role, dbs, o.Database)
	}
	var rules int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_hba_file_rules WHERE $1 = ANY(user_name)", o.Role).Scan(&rules); err != nil {
		t.Fatal(err)
	}
	if rules != 0 {
		t.Errorf("pg_hba.conf still has %d lines for role %s", rules, o.Role)
	}
}
