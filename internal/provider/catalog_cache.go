package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CommandCache shares the event catalog between the provider processes of
// one Terraform command. Terraform starts the provider several times per
// command (apply: once to plan, once to apply, each re-planning the
// resources and so checking their event types), and each process would
// read the catalog again. The first process that reads it leaves the type
// names in a file named after the command (Terraform's process, the
// provider's parent) and the server (its endpoint and API key, hashed), and
// later processes of the same command read that file instead: one catalog
// read per command.
//
// The file holds only the catalog's type names, which are no secret; it is
// private to the user all the same (0600), and files older than maxAge are
// neither used nor kept. A catalog changed on the server during one command
// is seen by the next one.
type CommandCache struct {
	Dir     string           // os.TempDir() in the provider binary
	Command int              // os.Getppid(): Terraform's process
	Now     func() time.Time // nil: time.Now
}

// catalogCacheMaxAge bounds how long one command's file is used: longer
// than any plan and apply, short enough that a recycled process id does not
// meet a file of its own.
const catalogCacheMaxAge = 30 * time.Minute

type cachedCatalog struct {
	Endpoint string   `json:"endpoint"`
	Names    []string `json:"names"`
}

func (c *CommandCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// path is the file of this command for endpoint and apiKey.
func (c *CommandCache) path(endpoint, apiKey string) string {
	sum := sha256.Sum256([]byte(endpoint + "\n" + apiKey))
	return filepath.Join(c.Dir, fmt.Sprintf("hookd-catalog-%d-%s.json", c.Command, hex.EncodeToString(sum[:8])))
}

// load returns the names another process of this command stored, if any.
func (c *CommandCache) load(endpoint, apiKey string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	p := c.path(endpoint, apiKey)
	fi, err := os.Stat(p)
	if err != nil || c.now().Sub(fi.ModTime()) > catalogCacheMaxAge {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var cc cachedCatalog
	if json.Unmarshal(b, &cc) != nil || cc.Endpoint != endpoint || cc.Names == nil {
		return nil, false
	}
	return cc.Names, true
}

// store leaves names for the other processes of this command, and removes
// the files of commands long finished. Failing to is not an error: the
// next process reads the catalog from the server.
func (c *CommandCache) store(endpoint, apiKey string, names []string) {
	if c == nil {
		return
	}
	b, err := json.Marshal(cachedCatalog{Endpoint: endpoint, Names: names})
	if err != nil {
		return
	}
	f, err := os.CreateTemp(c.Dir, "hookd-catalog-*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil {
		_ = os.Remove(f.Name())
		return
	}
	// Written whole, then renamed: a process reading at the same time
	// finds the old file, the new one, or none, never half of one.
	// Its time is the cache's clock's, which load and prune read.
	now := c.now()
	if err := os.Chtimes(f.Name(), now, now); err != nil {
		_ = os.Remove(f.Name())
		return
	}
	if err := os.Rename(f.Name(), c.path(endpoint, apiKey)); err != nil {
		_ = os.Remove(f.Name())
		return
	}
	c.prune()
}

// prune removes this cache's files (and temporary files) older than
// maxAge.
func (c *CommandCache) prune() {
	for _, pattern := range []string{"hookd-catalog-*.json", "hookd-catalog-*.tmp"} {
		old, _ := filepath.Glob(filepath.Join(c.Dir, pattern))
		for _, p := range old {
			if fi, err := os.Stat(p); err == nil && c.now().Sub(fi.ModTime()) > catalogCacheMaxAge {
				_ = os.Remove(p)
			}
		}
	}
}
