package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// The catalog is fetched once per provider process however many resources
// ask, and what went wrong is said once, not once per resource.
func TestEventCatalogOnce(t *testing.T) {
	srv, c, hits, status := catalogServer(t)
	status.Store(http.StatusUnauthorized)
	cat := &eventCatalog{client: c, endpoint: srv.URL}
	var first, second diag.Diagnostics
	if cat.eventNames(context.Background(), &first) != nil || cat.eventNames(context.Background(), &second) != nil {
		t.Fatal("names from a rejected key")
	}
	if !first.HasError() || len(second) != 0 || hits.Load() != 1 {
		t.Fatalf("first %v, second %v, %d requests; want one error once, one request", first, second, hits.Load())
	}

	status.Store(http.StatusOK)
	hits.Store(0)
	cat = &eventCatalog{client: c, endpoint: srv.URL}
	var diags diag.Diagnostics
	for range 3 {
		if names := cat.eventNames(context.Background(), &diags); names == nil || names.ValidatePattern("transfer.created") != nil {
			t.Fatalf("names %v", names)
		}
	}
	if len(diags) != 0 || hits.Load() != 1 {
		t.Fatalf("%v, %d requests for three callers", diags, hits.Load())
	}
	if (*eventCatalog)(nil).eventNames(context.Background(), &diags) != nil {
		t.Fatal("a nil catalog has names")
	}
}

// catalogServer serves a one-type catalog, or a problem with the status
// held in status (200 to serve it), counting requests in hits; c is a
// client of it that does not retry.
func catalogServer(t *testing.T) (srv *httptest.Server, c *client.Client, hits, status *atomic.Int64) {
	t.Helper()
	hits, status = new(atomic.Int64), new(atomic.Int64)
	status.Store(http.StatusOK)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if code := int(status.Load()); code != http.StatusOK {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(code)
			_, _ = fmt.Fprintf(w, `{"type":"about:blank","title":"Error","status":%d,"code":"unauthorized","detail":"bad key"}`, code)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"type":"transfer.created","category":"transfer","stability":"stable","description":"x","schema":{},"example":{}}]}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "hookd_x", client.WithRetryPolicy(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, hits, status
}
