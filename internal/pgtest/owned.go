package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// OwnedDB is a database set up the way the README tells an operator to on
// Debian's PostgreSQL, rather than reached as the trusted superuser:
//
//	sudo -u postgres createuser --pwprompt hookd
//	sudo -u postgres createdb -O hookd hookd
//
// The role may log in with its password and is nothing more (createuser's
// defaults: not a superuser, no CREATEDB, no CREATEROLE); it owns the
// database, and with it, since PostgreSQL 15, the schema public
// (pg_database_owner). Its connections from 127.0.0.1 must give the
// password (scram-sha-256, the rule Debian's pg_hba.conf has for host
// connections): a wrong one is refused.
type OwnedDB struct {
	Role, Password, Database string
	Port                     int
}

// DSN is the URL of the database as the role, with its password (percent-
// encoded as a URL needs), over TCP without TLS: the README's "on one
// machine, for a try" form.
func (o OwnedDB) DSN() string { return o.DSNWithPassword(o.Password) }

// DSNWithPassword is DSN with another password, to try a wrong one.
func (o OwnedDB) DSNWithPassword(password string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(o.Role, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port)),
		Path:     "/" + o.Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// OwnedDatabase is Database for a password-protected role that owns its
// database (see OwnedDB), on the shared server: a random password, names
// unique on the server, the database, the role and its pg_hba.conf line
// removed when the test ends. It skips or fails like Database without
// PostgreSQL's binaries.
func OwnedDatabase(t testing.TB) OwnedDB {
	t.Helper()
	s := serverFor(t, sharedServer, os.Getenv(EnvRequire) == "1")
	seq := dbSeq.Add(1)
	name := dbName(t.Name(), seq)
	role := "r" + strings.TrimPrefix(name, "t") // r_<test>_<seq>: roles are the server's, not a database's
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	o, err := s.CreateOwnedDatabase(ctx, role, NewPassword(), name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := s.DropOwnedDatabase(ctx, role, name); err != nil {
			t.Errorf("dropping the test's role and database: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// serverFor is the server server returns, or the test skipped (no
// binaries) or failed (no binaries and require, or another error).
func serverFor(t testing.TB, server func() (*Server, error), require bool) *Server {
	t.Helper()
	s, err := server()
	switch {
	case errors.Is(err, ErrNoBinaries) && require:
		t.Fatalf("%v (%s=1: these tests must run here)", err, EnvRequire)
	case errors.Is(err, ErrNoBinaries):
		t.Skipf("skipped: %v", err)
	case err != nil:
		t.Fatal(err)
	}
	return s
}

// NewPassword is a random password holding characters a URL must
// percent-encode (/ @ : %), so that a test using it also tests that the
// URL is built and read right, and that no form of it reaches a log.
func NewPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "pw/" + hex.EncodeToString(b) + "@:%"
}

// hbaMu serializes edits of pg_hba.conf by the tests of this process.
var hbaMu sync.Mutex

// hbaReadyTimeout bounds the wait for a reloaded pg_hba.conf to apply.
const hbaReadyTimeout = 10 * time.Second

// CreateOwnedDatabase runs the README's commands on this server (createuser
// --pwprompt, the password typed twice on its prompt, then createdb -O, as
// the superuser over TCP where the README has sudo -u postgres), makes the
// role's connections to the database from 127.0.0.1 use scram-sha-256, and
// returns once a wrong password is refused and the right one accepted.
func (s *Server) CreateOwnedDatabase(ctx context.Context, role, password, database string) (OwnedDB, error) {
	o := OwnedDB{Role: role, Password: password, Database: database, Port: s.port}
	if strings.ContainsAny(role+database, " \t\",#") {
		return o, fmt.Errorf("pgtest: role %q and database %q must be plain names (pg_hba.conf)", role, database)
	}
	bin, err := Binaries()
	if err != nil {
		return o, err
	}
	if err := s.client(ctx, bin, password+"\n"+password+"\n", "createuser", "--pwprompt", role); err != nil {
		return o, err
	}
	if err := s.client(ctx, bin, "", "createdb", "-O", role, database); err != nil {
		return o, err
	}
	if err := s.editHBA(ctx, func(lines []string) []string {
		// First: pg_hba.conf's first matching line wins, and initdb's
		// lines trust everyone.
		return append([]string{hbaLine(role, database)}, lines...)
	}); err != nil {
		return o, err
	}
	return o, o.waitPasswordRequired(ctx)
}

// DropOwnedDatabase undoes CreateOwnedDatabase: the database (WITH
// (FORCE)), the role and its pg_hba.conf line. What does not exist is not
// an error, so that it can clean up after a create that failed half-way.
func (s *Server) DropOwnedDatabase(ctx context.Context, role, database string) error {
	var errs []error
	if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{database}.Sanitize()+" WITH (FORCE)"); err != nil {
		errs = append(errs, err)
	}
	if err := s.admin(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
		errs = append(errs, err)
	}
	line := hbaLine(role, database)
	if err := s.editHBA(ctx, func(lines []string) []string {
		kept := lines[:0]
		for _, l := range lines {
			if l != line {
				kept = append(kept, l)
			}
		}
		return kept
	}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func hbaLine(role, database string) string {
	return fmt.Sprintf("host %s %s 127.0.0.1/32 scram-sha-256", database, role)
}

// client runs one of PostgreSQL's client programs (createuser, createdb)
// against this server as the superuser, with input on its stdin.
func (s *Server) client(ctx context.Context, bin, input, name string, args ...string) error {
	path, err := clientPath(bin, name)
	if err != nil {
		return err
	}
	args = append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres", "--no-password"}, args...)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGPASSWORD=")
	cmd.Stdin = strings.NewReader(input)
	cmd.SysProcAttr = promptAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", name, strings.Join(args, " "), err, tail(out.Bytes()))
	}
	return nil
}

// clientPath finds a client program: beside initdb, beside the file initdb
// links to (a symlink on PATH to /usr/lib/postgresql/NN/bin), else on PATH
// (Debian's wrapper in /usr/bin, which runs the newest version's).
func clientPath(bin, name string) (string, error) {
	dirs := []string{bin}
	if target, err := filepath.EvalSymlinks(filepath.Join(bin, "initdb")); err == nil {
		dirs = append(dirs, filepath.Dir(target))
	}
	for _, dir := range dirs {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("pgtest: %s not found beside initdb (%s) nor on PATH: install Debian's postgresql-client package", name, strings.Join(dirs, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// editHBA rewrites the server's pg_hba.conf with edit and reloads it.
func (s *Server) editHBA(ctx context.Context, edit func(lines []string) []string) error {
	hbaMu.Lock()
	defer hbaMu.Unlock()
	path := filepath.Join(s.dir, "data", "pg_hba.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	lines := edit(strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	// WriteFile keeps the existing file's owner (postgres, when running as
	// root) and mode.
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return s.admin(ctx, "SELECT pg_reload_conf()")
}

// waitPasswordRequired returns once the server refuses the role a wrong
// password (invalid_password, 28P01) and accepts the right one: the
// reload pg_reload_conf asked for has applied. Before it, the trust rule
// lets any password in.
func (o OwnedDB) waitPasswordRequired(ctx context.Context) error {
	deadline := time.Now().Add(hbaReadyTimeout)
	for {
		err := o.ping(ctx, o.DSNWithPassword("not-"+o.Password))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "28P01" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: a wrong password for role %s is not refused %s after pg_hba.conf's reload (got %v)", o.Role, hbaReadyTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := o.ping(ctx, o.DSN()); err != nil {
		return fmt.Errorf("pgtest: role %s with its password: %w", o.Role, err)
	}
	return nil
}

func (o OwnedDB) ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	return conn.Ping(ctx)
}
