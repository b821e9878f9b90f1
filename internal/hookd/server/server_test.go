package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

func call(t *testing.T, s *hookdtest.Server, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := contractClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// contractClient checks every request and response against api/openapi.yaml.
func contractClient(t *testing.T) *http.Client {
	return &http.Client{Transport: contract.Transport(t, nil)}
}

// Data and the generated API key survive a restart, and no secret is stored
// in plain text.
func TestRestart(t *testing.T) {
	sqliteOnly(t, "the SQLite file and its key file")
	s := hookdtest.Start(t)
	key := s.APIKey
	if !strings.HasPrefix(key, secrets.APIKeyPrefix) {
		t.Fatalf("generated API key %q", key)
	}
	secret := secrets.NewSecret()
	token := "auth-token-that-must-not-leak"
	status, wh := call(t, s, key, "POST", "/v1/webhooks/account", `{"url":"https://example.com/h","events":["*"],"secret":"`+secret+`","auth_token":"`+token+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, wh)
	}
	// Also an idempotent create, whose stored response holds a generated secret.
	req, _ := http.NewRequest("POST", s.URL+"/v1/webhooks/account", strings.NewReader(`{"url":"https://example.com/i","events":["*"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k1")
	res, err := contractClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var idem map[string]any
	_ = json.NewDecoder(res.Body).Decode(&idem)
	res.Body.Close()
	generated, ok := idem["secret"].(string)
	if !ok || generated == "" {
		t.Fatalf("the create without a secret returned no generated secret: %v", idem)
	}
	s.Stop()

	for _, name := range []string{"hookd.db", "hookd.db-wal"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			continue
		}
		for _, plain := range []string{secret, token, generated, key, strings.TrimPrefix(secret, "whsec_")} {
			if bytes.Contains(data, []byte(plain)) {
				t.Errorf("%s holds %q in plain text", name, plain)
			}
		}
	}
	fi, err := os.Stat(filepath.Join(s.Dir, "hookd.db.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	s2 := hookdtest.Start(t, hookdtest.WithDir(s.Dir))
	if s2.GeneratedAPIKey != "" {
		t.Fatal("a second key was generated on restart")
	}
	whID, _ := wh["id"].(string)
	status, got := call(t, s2, key, "GET", "/v1/webhooks/"+whID, "")
	if status != http.StatusOK || got["auth_token_set"] != true || got["url"] != "https://example.com/h" {
		t.Fatalf("after restart: %d %v", status, got)
	}
	// The replay still works after the restart, secret included.
	req, _ = http.NewRequest("POST", s2.URL+"/v1/webhooks/account", strings.NewReader(`{"url":"https://example.com/i","events":["*"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k1")
	res, err = contractClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var replay map[string]any
	_ = json.NewDecoder(res.Body).Decode(&replay)
	res.Body.Close()
	if res.Header.Get("Idempotent-Replayed") != "true" || replay["secret"] != generated {
		t.Fatalf("replay after restart: %v %v", res.Header, replay)
	}
}

func TestConfiguredAPIKey(t *testing.T) {
	s := hookdtest.Start(t, hookdtest.WithAPIKey("configured-key"))
	if s.GeneratedAPIKey != "" {
		t.Fatal("generated a key although one is configured")
	}
	if status, _ := call(t, s, "configured-key", "GET", "/v1/groups", ""); status != http.StatusOK {
		t.Fatalf("configured key: %d", status)
	}
	if status, _ := call(t, s, "other", "GET", "/v1/groups", ""); status != http.StatusUnauthorized {
		t.Fatalf("other key: %d", status)
	}
}

func TestBadCatalogFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(path, []byte(`{"data": [{"type": "Nope"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(t.Context(), server.Config{DBPath: filepath.Join(dir, "hookd.db"), CatalogPath: path})
	if err == nil || !strings.Contains(err.Error(), "catalog.json") {
		t.Fatalf("bad catalog: %v", err)
	}
}

func TestBadEncryptionKey(t *testing.T) {
	_, err := server.New(t.Context(), server.Config{DBPath: filepath.Join(t.TempDir(), "hookd.db"), EncryptionKey: "short"})
	if err == nil || !strings.Contains(err.Error(), "HOOKD_ENCRYPTION_KEY") {
		t.Fatalf("bad key: %v", err)
	}
}

// A second hookd on the same SQLite database is refused at start, with the
// first one's work untouched, and leaves no key file of its own behind.
func TestSecondServerOnOneDatabaseRefused(t *testing.T) {
	sqliteOnly(t, "one process per SQLite file; processes share PostgreSQL (scripts/multiproc)")
	first := hookdtest.Start(t)
	_, err := server.New(t.Context(), server.Config{DBPath: filepath.Join(first.Dir, "hookd.db"), Version: "test"})
	if !errors.Is(err, store.ErrDatabaseInUse) {
		t.Fatalf("second server: %v, want ErrDatabaseInUse", err)
	}
	if !strings.Contains(err.Error(), "stop the other hookd first") {
		t.Fatalf("message: %v", err)
	}
	var groups struct {
		Data []any `json:"data"`
	}
	req, _ := http.NewRequest(http.MethodGet, first.URL+"/v1/groups", nil)
	req.Header.Set("Authorization", "Bearer "+first.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&groups) != nil {
		t.Fatalf("the first server after the refusal: %d", res.StatusCode)
	}
}
