// Package clientfuzz holds the fuzz target of the client's response
// decoding, apart from the client's other tests so that its instrumented
// build holds only the client (fuzzing instruments every package of the test
// binary; the other tests bring in hookd and SQLite).
package clientfuzz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// fuzzKey is the API key of the fuzzed client: no error may ever show it.
const fuzzKey = "hookd_fuzz_api_key_0123456789"

// answer is a transport that answers every request with one fixed response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: a.header.Clone(), Body: io.NopCloser(bytes.NewReader(a.body)), Request: r}, nil
}

// FuzzResponseDecoding feeds arbitrary answers (status, Content-Type,
// Retry-After, body) to the client's decoding of single objects, lists and
// problems. It must never panic; a 2xx either decodes or is a decode
// error; anything else is an *APIError with that status, whose text never
// holds the API key or a signing secret, whatever the body echoes.
func FuzzResponseDecoding(f *testing.F) {
	for _, seed := range []struct {
		status            uint16
		contentType, body string
	}{
		{200, "application/json", `{"id":"wh_1","events":["*"],"headers":{},"created_at":"2026-01-01T00:00:00Z"}`},
		{200, "application/json", `{"data":[{"id":"wh_1"}],"next_cursor":"abc"}`},
		{200, "application/json", `{"data":null,"next_cursor":null}`},
		{201, "application/json", `{"secret":"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`},
		{204, "", ``},
		{404, "application/problem+json", `{"type":"https://hookd.dev/problems/not_found","title":"Not found","status":404,"detail":"webhook \"wh_x\" not found","code":"not_found","request_id":"req_1"}`},
		{422, "application/problem+json", `{"status":422,"code":"validation_failed","detail":"secret: whsec_AAAA","errors":[{"pointer":"/secret","detail":"hookd_fuzz_api_key_0123456789"}]}`},
		{429, "application/problem+json", `{"status":429,"code":"rate_limited","detail":"retry after 1s"}`},
		{502, "text/html", `<html><body>Bad Gateway</body></html>`},
		{500, "application/json", `{"status":"500"}`},
		{401, "application/problem+json", `{"status":0,"detail":"` + fuzzKey + `"}`},
		{453, "application/problem+json", `{"status":453,"code":"` + fuzzKey + `","type":"` + fuzzKey + `","title":"` + fuzzKey + `","request_id":"` + fuzzKey + `","errors":[{"pointer":"/` + fuzzKey + `"}]}`},
		{200, "application/json", `{"id":1e999}`},
		{200, "application/json", `{"id":"wh_1","created_at":"` + fuzzKey + `"}`},
		{200, "application/json", "{\"name\":\"\xff\"}"},
		{307, "text/html", `<a href="/v1/webhooks">Temporary Redirect</a>.`},
	} {
		f.Add(seed.status, seed.contentType, "1", []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status uint16, contentType, retryAfter string, body []byte) {
		// The seeds' statuses are the codes answered; any other number maps
		// into 200-599 (1xx are interim answers, never final ones).
		code := int(status) % 600
		if code < 200 {
			code += 200
		}
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("Retry-After", retryAfter)
		h.Set("X-Request-Id", "req_fuzz")
		policy := client.DefaultRetryPolicy
		policy.MaxRetries = 0
		c, err := client.New("http://hookd.invalid", fuzzKey,
			client.WithHTTPClient(&http.Client{Transport: answer{status: code, header: h, body: body}}),
			client.WithRetryPolicy(policy))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, errGet := c.GetWebhook(ctx, "wh_0123456789abcdefghij")
		_, errList := c.ListWebhooks(ctx, client.WebhookListOptions{})
		_, errCatalog := c.EventCatalog(ctx)
		errDelete := c.DeleteWebhook(ctx, "wh_0123456789abcdefghij")
		for name, err := range map[string]error{"get": errGet, "list": errList, "catalog": errCatalog, "delete": errDelete} {
			if err == nil {
				if code < 200 || code > 299 {
					t.Fatalf("%s: status %d gave no error", name, code)
				}
				continue
			}
			if text := err.Error(); strings.Contains(text, fuzzKey) {
				t.Fatalf("%s: the error shows the API key: %s", name, text)
			}
			var apiErr *client.APIError
			if code >= 200 && code <= 299 {
				if errors.As(err, &apiErr) {
					t.Fatalf("%s: status %d gave an APIError: %v", name, code, err)
				}
				if json.Valid(body) && name == "delete" {
					t.Fatalf("delete: status %d gave an error: %v", code, err)
				}
				continue
			}
			if !errors.As(err, &apiErr) || apiErr.StatusCode != code {
				t.Fatalf("%s: status %d gave %T %v, want an APIError with that status", name, code, err, err)
			}
			// Every text of the answer reaches a diagnostic or a log, not only
			// the ones Error prints.
			texts := []string{apiErr.Type, apiErr.Title, apiErr.Code, apiErr.Detail, apiErr.RequestID}
			for _, fe := range apiErr.Errors {
				texts = append(texts, fe.Pointer, fe.Detail)
			}
			for _, text := range texts {
				if strings.Contains(text, fuzzKey) {
					t.Fatalf("%s: the APIError shows the API key in %q", name, text)
				}
			}
		}
	})
}
