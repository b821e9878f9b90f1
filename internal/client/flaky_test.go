package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/faultproxy"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// flakyHookd is a real hookd behind a fault proxy that fails every other
// request with kind: the first try of each call fails, its retry passes.
// It returns a client through the proxy and one straight to hookd.
func flakyHookd(t *testing.T, kind faultproxy.Kind) (through, direct *Client, proxy *faultproxy.Proxy) {
	t.Helper()
	s := hookdtest.Start(t)
	t.Cleanup(CloseIdleConnections)
	target, _ := url.Parse(s.URL)
	var n atomic.Int64
	proxy = faultproxy.New(target, faultproxy.Options{
		Latency: 50 * time.Millisecond,
		Choose: func(*http.Request) faultproxy.Kind {
			if n.Add(1)%2 == 1 {
				return kind
			}
			return faultproxy.None
		},
	})
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	t.Cleanup(proxy.Close)
	policy := WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: time.Second})
	var err error
	if through, err = New(srv.URL, s.APIKey, policy); err != nil {
		t.Fatal(err)
	}
	// A 429's Retry-After of 1 s is checked, not slept.
	through.sleep = func(_ context.Context, d time.Duration) error {
		if kind == faultproxy.Status429 && d != time.Second {
			t.Errorf("waited %v after a 429 with Retry-After: 1, want 1s", d)
		}
		return nil
	}
	if direct, err = New(s.URL, s.APIKey); err != nil {
		t.Fatal(err)
	}
	return through, direct, proxy
}

// Every call converges through every kind of fault, each exactly once, and
// none leaves a duplicate behind: a create whose answer was lost is
// replayed from its Idempotency-Key, a PATCH sends the same merge patch, a
// DELETE whose first try went through counts as done.
func TestEveryCallConvergesThroughFaults(t *testing.T) {
	for _, kind := range faultproxy.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c, direct, proxy := flakyHookd(t, kind)
			g, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "payments"})
			if err != nil {
				t.Fatalf("CreateGroup: %v", err)
			}
			if _, err := c.GetGroup(ctx, g.ID); err != nil {
				t.Fatalf("GetGroup: %v", err)
			}
			if _, err := c.UpdateGroup(ctx, g.ID, UpdateGroupRequest{Description: Set("money")}); err != nil {
				t.Fatalf("UpdateGroup: %v", err)
			}
			if _, err := c.ListGroups(ctx, GroupListOptions{}); err != nil {
				t.Fatalf("ListGroups: %v", err)
			}
			wh, err := c.CreateAccountWebhook(ctx, CreateWebhookRequest{URL: "http://127.0.0.1:9/hook", Events: []string{"transfer.*"}})
			if err != nil {
				t.Fatalf("CreateAccountWebhook: %v", err)
			}
			gw, err := c.CreateGroupWebhook(ctx, g.ID, CreateWebhookRequest{URL: "http://127.0.0.1:9/hook", Events: []string{"transfer.*"}})
			if err != nil {
				t.Fatalf("CreateGroupWebhook: %v", err)
			}
			if _, err := c.UpdateWebhook(ctx, wh.ID, UpdateWebhookRequest{Active: ptr(false)}); err != nil {
				t.Fatalf("UpdateWebhook: %v", err)
			}
			rot, err := c.RotateSecret(ctx, wh.ID, RotateSecretRequest{})
			if err != nil {
				t.Fatalf("RotateSecret: %v", err)
			}
			all := listAll(t, direct)
			if len(all) != 2 {
				t.Fatalf("%d webhooks on hookd after two creates, want 2 (no duplicate)", len(all))
			}
			if got, err := direct.GetWebhook(ctx, wh.ID); err != nil || got.SecretVersion != 2 || got.SecretFingerprint != rot.SecretFingerprint {
				t.Fatalf("after one rotation: %+v %v, want secret version 2 with the rotation's secret", got, err)
			}
			for _, id := range []string{wh.ID, gw.ID} {
				if err := c.DeleteWebhook(ctx, id); err != nil {
					t.Fatalf("DeleteWebhook: %v", err)
				}
			}
			if err := c.DeleteGroup(ctx, g.ID); err != nil {
				t.Fatalf("DeleteGroup: %v", err)
			}
			if left := listAll(t, direct); len(left) != 0 {
				t.Fatalf("%d webhooks left after deleting both", len(left))
			}
			if page, err := direct.ListGroups(ctx, GroupListOptions{}); err != nil || len(page.Data) != 0 {
				t.Fatalf("groups left: %+v %v", page, err)
			}
			// Latency is no failure: it is not retried, and falls on every
			// other call.
			if st := proxy.Stats(); kind != faultproxy.Latency && st.Faults[kind] != 11 {
				t.Fatalf("%v, want one %s on each of the 11 calls", st, kind)
			}
		})
	}
}

func listAll(t *testing.T, c *Client) []Webhook {
	t.Helper()
	var out []Webhook
	for w, err := range c.AllWebhooks(t.Context(), WebhookListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

// Out of retries, the last failure comes back: a 500 as ErrServer.
func TestServerErrorRetriesAreBounded(t *testing.T) {
	s := hookdtest.Start(t)
	t.Cleanup(CloseIdleConnections)
	target, _ := url.Parse(s.URL)
	proxy := faultproxy.New(target, faultproxy.Options{Rate: 1, Kinds: []faultproxy.Kind{faultproxy.Status500}})
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, s.APIKey, WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); !errors.Is(err, ErrServer) {
		t.Fatalf("err %v, want ErrServer", err)
	}
	if got := proxy.Stats().Requests; got != 4 {
		t.Fatalf("%d tries, want 1 + 3 retries", got)
	}
}
