package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned (wrapped) by Binaries, Start and the shared
// server when initdb and postgres cannot be found: the one condition under
// which Database skips rather than fails.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found")

// InstallHint names what to install; it ends every ErrNoBinaries message.
const InstallHint = "install Debian's PostgreSQL server (apt-get install -y postgresql) or set HOOKD_PG_BIN to the directory holding initdb and postgres"

// The environment variables this package reads.
const (
	// EnvBin names the directory holding initdb and postgres. When set, it
	// is the only place looked at: a wrong explicit setting is an error,
	// not a reason to quietly use some other PostgreSQL.
	EnvBin = "HOOKD_PG_BIN"
	// EnvRequire, set to 1, makes Database fail instead of skip when the
	// binaries are missing. CI sets it.
	EnvRequire = "HOOKD_REQUIRE_POSTGRES"
	// EnvTestDB, set to postgres, runs the tests of hookd's packages
	// (store, server, delivery, ...) on PostgreSQL instead of SQLite, as
	// make test-postgres does; see OnPostgres.
	EnvTestDB = "HOOKD_TEST_DB"
)

// OnPostgres reports whether hookd's tests run on PostgreSQL
// ($HOOKD_TEST_DB=postgres).
func OnPostgres() bool { return os.Getenv(EnvTestDB) == "postgres" }

// debianLib is where Debian's postgresql-NN packages put the server
// binaries, one directory per major version; they are not on PATH.
const debianLib = "/usr/lib/postgresql"

// Binaries returns the directory holding initdb and postgres: $HOOKD_PG_BIN,
// else the directory of initdb on PATH, else the highest version under
// /usr/lib/postgresql/*/bin.
func Binaries() (dir string, err error) {
	return finder{getenv: os.Getenv, lookPath: exec.LookPath, libRoot: debianLib}.find()
}

// finder is Binaries with its environment injected, so that tests can look
// at an empty machine.
type finder struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	libRoot  string
}

func (f finder) find() (string, error) {
	if dir := f.getenv(EnvBin); dir != "" {
		if err := hasServer(dir); err != nil {
			return "", fmt.Errorf("%w in $%s=%s (%v); %s", ErrNoBinaries, EnvBin, dir, err, InstallHint)
		}
		return dir, nil
	}
	if initdb, err := f.lookPath("initdb"); err == nil {
		// initdb runs the postgres beside it, so that is the pair to use.
		dir := filepath.Dir(initdb)
		if hasServer(dir) == nil {
			return dir, nil
		}
	}
	for _, dir := range versionDirs(f.libRoot) {
		if hasServer(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w on PATH nor in %s/*/bin; %s", ErrNoBinaries, f.libRoot, InstallHint)
}

// hasServer reports why dir is not a usable bin directory, or nil.
func hasServer(dir string) error {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", filepath.Join(dir, name))
		}
	}
	return nil
}

// versionDirs lists root/*/bin, highest major version first ("16" before
// "9.6", which a string sort would get wrong).
func versionDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type versioned struct {
		parts []int
		dir   string
	}
	var found []versioned
	for _, e := range entries {
		parts, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		found = append(found, versioned{parts, filepath.Join(root, e.Name(), "bin")})
	}
	sort.Slice(found, func(i, j int) bool { return versionLess(found[j].parts, found[i].parts) })
	dirs := make([]string, 0, len(found))
	for _, v := range found {
		dirs = append(dirs, v.dir)
	}
	return dirs
}

func parseVersion(s string) ([]int, bool) {
	var parts []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		parts = append(parts, n)
	}
	return parts, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
