package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

func TestIdempotentReplay(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	body := map[string]any{"url": "https://example.com/hooks", "events": []string{"*"}}
	key := map[string]string{"Idempotency-Key": "create-1"}
	first := c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key})
	second := c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key})
	if first.status != http.StatusCreated || second.status != http.StatusCreated {
		t.Fatalf("statuses %d, %d", first.status, second.status)
	}
	if string(first.body) != string(second.body) {
		t.Errorf("replay differs:\n%s\n%s", first.body, second.body)
	}
	if second.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("Idempotent-Replayed: first %q, second %q", first.header.Get("Idempotent-Replayed"), second.header.Get("Idempotent-Replayed"))
	}
	if second.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("replayed Location %q, want %q", second.header.Get("Location"), first.header.Get("Location"))
	}
	if decode(t, second.body)["secret"] == nil {
		t.Error("replay lost the secret")
	}
	if n := c.countWebhooks(); n != 1 {
		t.Fatalf("%d webhooks, want 1", n)
	}
	// Same key, other body: refused, and nothing written.
	before := snapshot(c)
	body["events"] = []string{"transfer.*"}
	p := c.problem(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key}, http.StatusUnprocessableEntity, "idempotency_key_reused")
	if !strings.Contains(p.Detail, `"create-1"`) || !strings.Contains(p.Detail, "different request body") {
		t.Errorf("detail %q", p.Detail)
	}
	if after := snapshot(c); after != before {
		t.Errorf("a reused key changed the data:\nbefore %s\nafter  %s", before, after)
	}
	// The key is scoped to the path: the same key elsewhere is a new call.
	c.ok(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "g"}, headers: key}, http.StatusCreated)
	// A failed call does not consume its key.
	bad := map[string]any{"url": "https://example.com", "events": []string{"nope.*"}}
	k2 := map[string]string{"Idempotency-Key": "create-2"}
	c.problem(req{method: "POST", path: "/v1/webhooks/account", body: bad, headers: k2, invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
	c.problem(req{method: "POST", path: "/v1/webhooks/account", body: bad, headers: k2, invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
}

func TestConcurrentCreates(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	body := map[string]any{"url": "https://example.com/hooks", "events": []string{"*"}}

	run := func(key func(i int) string) []int {
		statuses := make([]int, 50)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				statuses[i] = c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: map[string]string{"Idempotency-Key": key(i)}}).status
			})
		}
		wg.Wait()
		return statuses
	}

	for i, st := range run(func(i int) string { return fmt.Sprintf("distinct-%d", i) }) {
		if st != http.StatusCreated {
			t.Fatalf("create %d: status %d", i, st)
		}
	}
	if n := c.countWebhooks(); n != 50 {
		t.Fatalf("%d webhooks after 50 distinct creates", n)
	}

	for i, st := range run(func(int) string { return "the-same-key" }) {
		if st != http.StatusCreated && st != http.StatusConflict {
			t.Fatalf("create %d with a shared key: status %d", i, st)
		}
	}
	if n := c.countWebhooks(); n != 51 {
		t.Fatalf("%d webhooks after 50 creates with one key, want 51", n)
	}
}

// A key is scoped to the API key that used it, and kept 24 hours.
func TestIdempotencyScopeAndExpiry(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock))
	const other = "hookd_second-key-for-this-test"
	if err := s.Store.AddAPIKey(t.Context(), secrets.HashAPIKey(other), clock.Now()); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c2 := newClient(t, s)
	c2.key = other
	body := map[string]any{"url": "https://example.com/hooks", "events": []string{"*"}}
	key := map[string]string{"Idempotency-Key": "shared-key"}
	first := c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key})
	second := c2.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key})
	if first.status != http.StatusCreated || second.status != http.StatusCreated || second.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the same key under another API key: %d, %d %v", first.status, second.status, second.header)
	}
	clock.Advance(23 * time.Hour)
	if res := c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key}); res.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after 23 h: %d %v, want a replay", res.status, res.header)
	}
	clock.Advance(2 * time.Hour)
	if res := c.do(req{method: "POST", path: "/v1/webhooks/account", body: body, headers: key}); res.status != http.StatusCreated || res.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after 25 h: %d %v, want a new create", res.status, res.header)
	}
	if n := c.countWebhooks(); n != 3 {
		t.Fatalf("%d webhooks, want 3", n)
	}
}

// The key is compared byte for byte, and so is the body: the same JSON
// with other spacing is another body. An Idempotency-Key sent twice is
// refused, as an empty one is (TestBadInput): neither is "no key".
func TestIdempotencyKeyExactness(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	key := map[string]string{"Idempotency-Key": "group-1"}
	c.ok(req{method: "POST", path: "/v1/groups", body: `{"name":"exact"}`, headers: key}, http.StatusCreated)
	p := c.problem(req{method: "POST", path: "/v1/groups", body: `{"name": "exact"}`, headers: key}, http.StatusUnprocessableEntity, "idempotency_key_reused")
	if !strings.Contains(p.Detail, "different request body") {
		t.Errorf("detail %q", p.Detail)
	}
	hr, err := http.NewRequest(http.MethodPost, s.URL+"/v1/groups", strings.NewReader(`{"name":"twice"}`))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+s.APIKey)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Add("Idempotency-Key", "a")
	hr.Header.Add("Idempotency-Key", "b")
	res, err := c.http.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Code, Detail string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusBadRequest || body.Detail != "the Idempotency-Key header is given 2 times; send it once" {
		t.Errorf("two keys: %d %+v", res.StatusCode, body)
	}
}
