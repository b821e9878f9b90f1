package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofrs/flock"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// SQLite is the embedded database: one file, through the pure-Go
// modernc.org/sqlite driver (no cgo, so hookd stays a static binary).
//
// It holds two pools on the same file. SQLite allows one writer at a time, so
// every write goes through a pool of exactly one connection whose
// transactions begin IMMEDIATE: writers queue inside database/sql instead of
// racing for the lock and failing with SQLITE_BUSY, and a read-modify-write
// transaction takes the write lock before it reads, so what it read cannot
// change under it. Plain reads use a separate pool of several connections;
// in WAL mode they see the last committed state without blocking the writer.
//
// Code holding a transaction on the writer must only use that transaction:
// asking the writer pool for another connection would wait forever for the
// one it holds.

// ErrDatabaseInUse: another process holds the database (OpenSQLite).
var ErrDatabaseInUse = errors.New("the database is in use by another hookd process")

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (a backup, the sqlite3 shell) before it gives up with SQLITE_BUSY.
const busyTimeoutMS = 5000

// OpenSQLite opens (creating it when missing) the database at path, brings
// its schema up to date, and encrypts secrets at rest with c. It refuses a
// key that does not open the database's secrets (ErrWrongEncryptionKey) and
// a new key for a database that holds data (ErrDatabaseHoldsData, see
// WithNewKey).
func OpenSQLite(path string, c *secrets.Cipher, opts ...OpenOption) (*DB, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	if c == nil {
		return nil, errors.New("open sqlite: a cipher is required to encrypt secrets at rest")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	// SQLite would create the file with mode 0644 (less the umask); the
	// file holds encrypted secrets and the list of API key hashes, so create it
	// ourselves, private to the owner. SQLite gives the -wal and -shm files
	// the mode of the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}

	lock, err := lockSQLite(path, abs)
	if err != nil {
		return nil, err
	}
	s := &DB{path: path, lock: lock, cipher: c}
	opened := false
	defer func() {
		if !opened {
			_ = lock.unlock()
		}
	}()
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(1)",
		// NORMAL is durable in WAL mode except for the last transactions
		// before a power loss, and saves an fsync per commit.
		"synchronous(NORMAL)",
	}
	// The writer's sub-journals in memory: every grouped write runs in a
	// savepoint (sqlite_group.go), and SQLite keeps the pages a savepoint
	// changes in a statement journal, a temporary file by default, so that
	// ROLLBACK TO can restore them. They are never read but to roll back,
	// and are worthless after a crash; written to a file they cost a
	// pwrite per page.
	// Its checkpoints are the checkpointer's, but for a backstop
	// (sqlite_checkpoint.go).
	s.writer, err = sql.Open("sqlite", dsn(abs, append(common, "journal_mode(WAL)", "temp_store(MEMORY)",
		fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages)), "immediate"))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxIdleTime(0)
	s.writer.SetConnMaxLifetime(0)

	// Schema changes run on the writer before the reader pool exists, so no
	// reader ever sees a half-migrated database.
	ctx := context.Background()
	if err := s.writer.PingContext(ctx); err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := migrate(ctx, s.writer, sqliteMigrations); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := s.checkKey(ctx, o); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := releaseLeases(ctx, s.writer); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := releaseIdempotencyClaims(ctx, s.writer); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := s.prepareWrites(ctx); err != nil {
		_ = s.closeStmts()
		_ = s.writer.Close()
		return nil, err
	}

	// query_only makes an accidental write through the reader pool fail
	// loudly instead of racing the writer for the lock.
	s.reader, err = sql.Open("sqlite", dsn(abs, append(common, "query_only(1)"), ""))
	if err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := max(4, runtime.NumCPU())
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	if err := s.reader.PingContext(ctx); err != nil {
		_ = s.reader.Close()
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.openCheckpointer(abs, common, o.checkpointEvery); err != nil {
		_ = s.reader.Close()
		_ = s.writer.Close()
		return nil, err
	}
	s.startLister(o.listEvery)
	opened = true
	return s, nil
}

// lockSQLite takes the process lock of the database at abs. One process
// per SQLite database: leases, rate limits and the engine's in-flight
// bounds live in one process's memory and store, so a second one would
// deliver the same work. The locks are the operating system's (flock,
// LockFileEx): they go away with the process, however it ends.
//
// The lock file is named after the database's real path, symbolic links
// resolved, so that a second hookd given another path to the same file (a
// link to it, or to its directory) finds the same lock. A hard link is a
// second name nothing resolves to the first, so on Linux hookd also locks
// the database file itself (lockDatabaseFile), whatever its name.
func lockSQLite(path, abs string) (*sqliteLock, error) {
	abs = realPath(abs)
	lock := flock.New(abs + ".lock")
	locked, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock database: %w", err)
	}
	if !locked {
		return nil, fmt.Errorf("%w: %s is locked through %s; stop the other hookd first (to run several hookd processes, use PostgreSQL)", ErrDatabaseInUse, path, abs+".lock")
	}
	file, err := lockDatabaseFile(path, abs)
	if err != nil {
		_ = lock.Unlock()
		return nil, err
	}
	return &sqliteLock{path: lock, file: file}, nil
}

// sqliteLock is a SQLite database's process lock: the lock file named
// after its path, and the lock on the database file itself that
// lockDatabaseFile took with it (nil where it takes none).
type sqliteLock struct {
	path, file *flock.Flock
}

// lockDatabaseFile locks the database file itself (flock on a descriptor
// of it), so that a second hookd given another name of the same file, a
// hard link, is refused as well: the lock is the file's, whatever name
// opened it. Nil on other systems than Linux, where it cannot be done
// alongside SQLite's own locks: on macOS and the BSDs flock and SQLite's
// fcntl locks are one mechanism and would conflict, and on Windows a lock
// is mandatory and would block SQLite's reads.
//
// The descriptor stays open until sqliteLock.unlock, after SQLite is closed:
// closing any descriptor of a file drops the process's fcntl locks on it,
// SQLite's included.
func lockDatabaseFile(path, abs string) (*flock.Flock, error) {
	if runtime.GOOS != "linux" {
		return nil, nil
	}
	lock := flock.New(abs, flock.SetFlag(os.O_RDONLY))
	locked, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock database file: %w", err)
	}
	if !locked {
		return nil, fmt.Errorf("%w: %s is another name (a hard link) of a database file another hookd holds; stop the other hookd first, and remove the extra name: SQLite keeps the write-ahead log next to the name a database is opened by, so two names of one database can lose or corrupt its data (to run several hookd processes, use PostgreSQL)", ErrDatabaseInUse, path)
	}
	return lock, nil
}

// unlock releases both locks. Only once SQLite is closed (see
// lockDatabaseFile).
func (l *sqliteLock) unlock() error {
	var errFile error
	if l.file != nil {
		errFile = l.file.Unlock()
	}
	return errors.Join(errFile, l.path.Unlock())
}

// realPath resolves the symbolic links of abs, an absolute path: of the
// file (OpenSQLite creates it before it takes the lock, so a link to a
// file not there yet resolves too), or of its directory when the file is
// missing. What cannot be resolved is kept as it is.
func realPath(abs string) string {
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		return resolved
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// migrateSQLite is Migrate for a SQLite file: under the process lock, so
// never while a hookd serves it.
func migrateSQLite(ctx context.Context, path string) ([]int, int, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, 0, fmt.Errorf("database path %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, 0, fmt.Errorf("database %s: %w (hookd serve creates it)", path, err)
	}
	lock, err := lockSQLite(path, abs)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = lock.unlock() }()
	db, err := sql.Open("sqlite", dsn(abs, []string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "foreign_keys(1)", "journal_mode(WAL)"}, "immediate"))
	if err != nil {
		return nil, 0, fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return migrateCounting(ctx, db, sqliteMigrations, func(ctx context.Context) error { return migrate(ctx, db, sqliteMigrations) })
}

// dsn builds a file: URI for path: escaping the path keeps a '?' or '#' in a
// directory name from being read as the start of the parameters.
func dsn(abs string, pragmas []string, txlock string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:/C:/...
	}
	q := url.Values{"_pragma": pragmas}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// closeSQLite lists the deliveries not yet listed, checkpoints the
// write-ahead log into the database file, so that the file alone is a
// complete copy, closes both pools and releases the process lock.
func (s *DB) closeSQLite() error {
	errList := s.stopLister()
	errStmts := s.closeStmts()
	errReader := s.reader.Close()
	errCheckpointer := s.closeCheckpointer()
	_, errCheckpoint := s.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if errCheckpoint != nil {
		errCheckpoint = fmt.Errorf("checkpoint: %w", errCheckpoint)
	}
	errWriter := s.writer.Close()
	// The lock goes last, once nothing of ours can write any more.
	return errors.Join(errList, errStmts, errReader, errCheckpointer, errCheckpoint, errWriter, s.lock.unlock())
}
