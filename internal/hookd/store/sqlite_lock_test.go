package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// linuxOnly skips where hookd cannot lock the database file itself
// (lockDatabaseFile), which a hard link needs.
func linuxOnly(t *testing.T) {
	t.Helper()
	sqliteOnly(t, "one process per SQLite file")
	if runtime.GOOS != "linux" {
		t.Skip("the lock on the database file itself is Linux's (flock alongside SQLite's fcntl locks)")
	}
}

// hardLinked returns another name of the file at path, a hard link in dir.
func hardLinked(t *testing.T, path, dir string) string {
	t.Helper()
	link := filepath.Join(dir, "hard.db")
	if err := os.Link(path, link); err != nil {
		t.Skipf("no hard link here: %v", err)
	}
	return link
}

func wantHardLinkRefused(t *testing.T, link string, err error) {
	t.Helper()
	if !errors.Is(err, ErrDatabaseInUse) {
		t.Fatalf("open through the hard link %s: %v, want ErrDatabaseInUse", link, err)
	}
	want := fmt.Sprintf("the database is in use by another hookd process: %s is another name (a hard link) of a database file another hookd holds; stop the other hookd first, and remove the extra name: SQLite keeps the write-ahead log next to the name a database is opened by, so two names of one database can lose or corrupt its data (to run several hookd processes, use PostgreSQL)", link)
	if err.Error() != want {
		t.Fatalf("message:\n got %s\nwant %s", err, want)
	}
}

// A second hookd given a hard link to the database, in its directory or in
// another, is refused while the first holds it (the lock file is named
// after the path, which a hard link does not lead back to; the file's own
// lock is the same whatever its name), and so is hookd migrate; once the
// first is closed, either name opens.
func TestSecondProcessRefusedThroughAHardLink(t *testing.T) {
	linuxOnly(t)
	for name, dirOf := range map[string]func(dir string) string{
		"same directory":    func(dir string) string { return dir },
		"another directory": func(string) string { return t.TempDir() },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hookd.db")
			first, err := OpenSQLite(path, testCipher(t, testKey))
			if err != nil {
				t.Fatal(err)
			}
			link := hardLinked(t, path, dirOf(dir))
			s, err := OpenSQLite(link, testCipher(t, testKey))
			if s != nil {
				_ = s.Close()
			}
			wantHardLinkRefused(t, link, err)
			if _, _, err := migrateSQLite(t.Context(), link); !errors.Is(err, ErrDatabaseInUse) {
				t.Fatalf("migrate through the hard link: %v, want ErrDatabaseInUse", err)
			}
			// The refused opens released what they took: the path lock of
			// the link's name is free again once the first is closed.
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			viaLink := openAt(t, link, testKey)
			if _, err := OpenSQLite(path, testCipher(t, testKey)); !errors.Is(err, ErrDatabaseInUse) {
				t.Fatalf("open of the first name while the link's holds it: %v, want ErrDatabaseInUse", err)
			}
			if err := viaLink.Close(); err != nil {
				t.Fatal(err)
			}
			openAt(t, path, testKey)
		})
	}
}

// The F1 report, in two processes: a hookd (here a child process of the
// test) serves the database; another, given a hard link to it, is refused
// for as long as the first runs, and opens it once the first has stopped.
func TestHardLinkRefusedAcrossProcesses(t *testing.T) {
	linuxOnly(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	openAt(t, path, testKey).Close()
	link := hardLinked(t, path, t.TempDir())

	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldDatabaseHelper$")
	cmd.Env = append(os.Environ(), "HOOKD_HOLD_DATABASE="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "holding ") || strings.HasPrefix(line, "failed ") {
				ready <- line
			}
		}
		close(ready)
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "holding ") {
			t.Fatalf("the first process: %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first process did not open the database")
	}
	_, err = OpenSQLite(link, testCipher(t, testKey))
	wantHardLinkRefused(t, link, err)

	_ = stdin.Close() // the first process closes the database and exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the first process: %v", err)
	}
	openAt(t, link, testKey)
}

// TestHoldDatabaseHelper is the first process of
// TestHardLinkRefusedAcrossProcesses: it opens the database named by
// HOOKD_HOLD_DATABASE, says so, and closes it when its stdin closes.
func TestHoldDatabaseHelper(t *testing.T) {
	path := os.Getenv("HOOKD_HOLD_DATABASE")
	if path == "" {
		t.Skip("a helper process of TestHardLinkRefusedAcrossProcesses")
	}
	s, err := OpenSQLite(path, testCipher(t, testKey))
	if err != nil {
		fmt.Println("failed", err)
		t.Fatal(err)
	}
	fmt.Println("holding", path)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
