package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// benchWebhookPage is a page of n webhooks as hookd sends it (GET
// /v1/webhooks?limit=n): every field of the contract, the webhooks shaped
// as make bench creates them.
func benchWebhookPage(tb testing.TB, n int) []byte {
	tb.Helper()
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	page := Page[Webhook]{Data: make([]Webhook, n)}
	for i := range page.Data {
		page.Data[i] = Webhook{
			ID: fmt.Sprintf("wh_%020d", i), Scope: ScopeAccount, Name: ptr(fmt.Sprintf("bench-%04d", i)),
			Description: ptr("make bench, revision 1"), URL: fmt.Sprintf("http://127.0.0.1:40000/hooks/%04d", i),
			Events: []string{"transfer.created"}, Active: true, Status: "active", Headers: map[string]string{},
			SecretVersion: 1, SecretFingerprint: fmt.Sprintf("%016x", i), SignatureScheme: SchemeV1, CreatedAt: at, UpdatedAt: at,
		}
	}
	b, err := json.Marshal(page)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkWebhookListPage decodes a page of 500 webhooks (issue 16: the
// provider's allocations at 500 webhooks): the JSON alone, and
// ListWebhooks end to end over a transport that answers from memory
// (request, response read, decode; no network).
func BenchmarkWebhookListPage(b *testing.B) {
	const n = 500
	body := benchWebhookPage(b, n)
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var page Page[Webhook]
			if err := json.Unmarshal(body, &page); err != nil || len(page.Data) != n {
				b.Fatal(len(page.Data), err)
			}
		}
	})
	b.Run("ListWebhooks", func(b *testing.B) {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r,
			}, nil
		})
		c, err := New("http://hookd.invalid", "hookd_bench_key", WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			b.Fatal(err)
		}
		ctx := b.Context()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			page, err := c.ListWebhooks(ctx, WebhookListOptions{ListOptions: ListOptions{Limit: n}})
			if err != nil || len(page.Data) != n {
				b.Fatal(err)
			}
		}
	})
}
