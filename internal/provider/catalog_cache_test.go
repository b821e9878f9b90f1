package provider

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// The processes of one command read the catalog once between them: the
// second finds the first's file and asks the server nothing. Another
// command, another server or another API key does not see it, nor does
// anyone once it is old; a failed read leaves nothing behind.
func TestCommandCacheOneReadPerCommand(t *testing.T) {
	srv, c, hits, status := catalogServer(t)
	dir := t.TempDir()
	now := time.Now()
	cache := func(command int) *CommandCache {
		return &CommandCache{Dir: dir, Command: command, Now: func() time.Time { return now }}
	}
	// process reads the catalog as a new provider process of command does,
	// and says whether the server was asked.
	process := func(command int, apiKey string) (asked bool) {
		t.Helper()
		before := hits.Load()
		cat := &eventCatalog{client: c, endpoint: srv.URL, apiKey: apiKey, cache: cache(command)}
		var diags diag.Diagnostics
		names := cat.eventNames(context.Background(), &diags)
		if status.Load() == http.StatusOK && (names == nil || names.ValidateType("transfer.created") != nil || diags.HasError()) {
			t.Fatalf("names %v, diags %v", names, diags)
		}
		return hits.Load() > before
	}

	if !process(100, "k1") {
		t.Fatal("the first process of a command did not read the catalog")
	}
	for range 2 {
		if process(100, "k1") {
			t.Fatal("a later process of the same command read the catalog again")
		}
	}
	if !process(200, "k1") {
		t.Fatal("another command used the first one's catalog")
	}
	if !process(100, "k2") {
		t.Fatal("another API key used the first one's catalog")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "hookd-catalog-*"))
	if len(files) != 3 {
		t.Fatalf("files %v, want one per command and key", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, %v; want mode 0600", f, fi.Mode(), err)
		}
	}

	now = now.Add(catalogCacheMaxAge + time.Minute)
	if !process(100, "k1") {
		t.Fatal("a file older than a command used")
	}
	files, _ = filepath.Glob(filepath.Join(dir, "hookd-catalog-*"))
	if len(files) != 1 {
		t.Fatalf("files %v after a store: want the old ones pruned", files)
	}

	status.Store(http.StatusInternalServerError)
	for range 2 {
		if !process(300, "k1") {
			t.Fatal("a failed read was cached")
		}
	}

	// A damaged or foreign file is read from the server instead.
	status.Store(http.StatusOK)
	p := cache(400).path(srv.URL, "k1")
	for _, content := range []string{`{`, `{"endpoint":"http://elsewhere","names":["a.b"]}`} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now, now); err != nil { // fresh: refused for its content alone
			t.Fatal(err)
		}
		if !process(400, "k1") {
			t.Fatalf("file %s used", content)
		}
	}
	if names, ok := cache(400).load(srv.URL, "k1"); !ok || !slices.Equal(names, []string{"transfer.created"}) {
		t.Fatalf("after a read: %v, %v", names, ok)
	}
	var nilCache *CommandCache
	if _, ok := nilCache.load(srv.URL, "k1"); ok {
		t.Fatal("a nil cache has a catalog")
	}
	nilCache.store(srv.URL, "k1", []string{"x.y"})
}
