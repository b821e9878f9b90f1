package httpapi_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// Every 401 carries the challenge RFC 9110 requires (and the contract
// documents), whatever was wrong with the key.
func TestUnauthorizedChallenges(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	for name, r := range map[string]req{
		"no key":     {method: "GET", path: "/v1/webhooks", noAuth: true, invalid: true},
		"wrong key":  {method: "GET", path: "/v1/groups", headers: map[string]string{"Authorization": "Bearer nope"}},
		"basic auth": {method: "GET", path: "/v1/groups", headers: map[string]string{"Authorization": "Basic " + s.APIKey}, invalid: true},
	} {
		res := c.do(r)
		if res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: %d WWW-Authenticate=%q", name, res.status, res.header.Get("WWW-Authenticate"))
		}
	}
}

// Failed authentications are limited per client address: after the burst,
// every request from the address, right key or wrong, gets 429 with the
// real wait, until a token is back; then a right key gets through again.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(cfg *server.Config) {
		cfg.AuthFailureLimit, cfg.AuthFailureBurst = 0.5, 3 // one failure per 2 s after 3
	}))
	c := newClient(t, s)
	wrong := req{method: "GET", path: "/v1/groups", headers: map[string]string{"Authorization": "Bearer hookd_wrong_key"}}
	c.problem(wrong, http.StatusUnauthorized, "unauthorized")
	c.problem(wrong, http.StatusUnauthorized, "unauthorized")
	// A valid key is not a failure and takes nothing from the bucket.
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	c.problem(wrong, http.StatusUnauthorized, "unauthorized")
	for _, r := range []req{wrong, {method: "GET", path: "/v1/groups"}} {
		res := c.do(r)
		p := decode(t, res.body)
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "2" ||
			p["detail"] != "too many requests with a wrong API key from this address; retry after 2s" {
			t.Fatalf("after the burst: %d Retry-After=%q %s", res.status, res.header.Get("Retry-After"), res.body)
		}
	}
	clock.Advance(time.Second)
	if res := c.do(wrong); res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Fatalf("1 s later: %d Retry-After=%q", res.status, res.header.Get("Retry-After"))
	}
	clock.Advance(time.Second)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	c.problem(wrong, http.StatusUnauthorized, "unauthorized")
	c.problem(wrong, http.StatusTooManyRequests, "rate_limited")
}

// A request that sends no key guesses nothing (a browser's automatic
// /favicon.ico, a client not configured yet): it gets 401 and takes nothing
// from its address's bucket, however many there are; wrong keys still do.
func TestMissingKeyIsNotAFailedAuthentication(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(cfg *server.Config) {
		cfg.AuthFailureLimit, cfg.AuthFailureBurst = 0.5, 3
	}))
	c := newClient(t, s)
	for range 20 {
		c.problem(req{method: "GET", path: "/favicon.ico", noAuth: true, invalid: true}, http.StatusUnauthorized, "unauthorized")
		c.problem(req{method: "GET", path: "/v1/groups", noAuth: true, invalid: true}, http.StatusUnauthorized, "unauthorized")
	}
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	wrong := req{method: "GET", path: "/v1/groups", headers: map[string]string{"Authorization": "Bearer hookd_wrong_key"}}
	for range 3 {
		c.problem(wrong, http.StatusUnauthorized, "unauthorized")
	}
	c.problem(wrong, http.StatusTooManyRequests, "rate_limited")
}

// The default limit holds without any configuration, under concurrency: of
// 200 wrong keys sent by 20 clients at once, at most 10 (the burst) plus
// the 20 in flight when the bucket ran out get 401; and every failure is
// paid for: the address then waits one second per failure past the burst.
func TestFailedAuthenticationLimitByDefault(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock))
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				r, _ := http.NewRequest("GET", s.URL+"/v1/groups", nil)
				r.Header.Set("Authorization", "Bearer hookd_wrong_key")
				res, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				_ = res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	failed := statuses[http.StatusUnauthorized]
	if failed < 10 || failed > 30 || failed+statuses[http.StatusTooManyRequests] != 200 {
		t.Fatalf("200 wrong keys: %v, want 10 to 30 401 and the rest 429", statuses)
	}
	c := newClient(t, s)
	res := c.do(req{method: "GET", path: "/v1/groups"})
	if want := fmt.Sprint(failed - 10 + 1); res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != want {
		t.Fatalf("after %d failures: %d Retry-After=%q, want 429 after %s s", failed, res.status, res.header.Get("Retry-After"), want)
	}
	clock.Advance(time.Duration(failed-10+1) * time.Second)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
}

// The detail of a 429 says the wait Retry-After says, never "0s", even
// when the token comes back in less than a millisecond.
func TestRateLimitDetailSaysTheWait(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(cfg *server.Config) {
		cfg.RateLimit, cfg.RateBurst = 4000, 1
	}))
	c := newClient(t, s)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	res := c.do(req{method: "GET", path: "/v1/groups"})
	if got := decode(t, res.body)["detail"]; res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" ||
		got != "too many requests for this API key; retry after 1s" {
		t.Fatalf("%d Retry-After=%q detail %q", res.status, res.header.Get("Retry-After"), got)
	}
}

// Behind a proxy that --trusted-proxies names, failed authentications are
// counted by the client its X-Forwarded-For names: a client sending wrong
// keys is limited, and another client behind the same proxy is not.
// Without it, both are the proxy's address, and both get 429.
func TestFailedAuthenticationBehindATrustedProxy(t *testing.T) {
	for _, trust := range []bool{true, false} {
		clock := clockwork.NewFakeClock()
		s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(cfg *server.Config) {
			cfg.AuthFailureLimit, cfg.AuthFailureBurst = 0.5, 3
			if trust {
				cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
			}
		}))
		c := newClient(t, s)
		from := func(client, key string) int {
			return c.do(req{method: "GET", path: "/v1/groups", headers: map[string]string{
				"Authorization": "Bearer " + key, "X-Forwarded-For": client}}).status
		}
		for range 3 {
			from("203.0.113.1", "hookd_wrong_key")
		}
		if got := from("203.0.113.1", "hookd_wrong_key"); got != http.StatusTooManyRequests {
			t.Errorf("trusted %v: the client sending wrong keys: %d, want 429", trust, got)
		}
		want := http.StatusOK
		if !trust {
			want = http.StatusTooManyRequests // the proxy's address is over its limit
		}
		if got := from("203.0.113.2", s.APIKey); got != want {
			t.Errorf("trusted %v: another client behind the proxy: %d, want %d", trust, got, want)
		}
	}
}
