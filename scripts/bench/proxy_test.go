package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v1/webhooks/wh_xjvwvsqarcxlhw652vtk", "GET /v1/webhooks/{id}"},
		{"PATCH", "/v1/webhooks/wh_1", "PATCH /v1/webhooks/{id}"},
		{"DELETE", "/v1/webhooks/wh_1/", "DELETE /v1/webhooks/{id}"},
		{"GET", "/v1/webhooks/events", "GET /v1/webhooks/events"},
		{"POST", "/v1/webhooks/account", "POST /v1/webhooks/account"},
		{"POST", "/v1/webhooks/group/grp_1", "POST /v1/webhooks/group/{group_id}"},
		{"POST", "/v1/webhooks/wh_1/secret/rotate", "POST /v1/webhooks/{id}/secret/rotate"},
		{"GET", "/v1/webhooks/wh_1/deliveries", "GET /v1/webhooks/{id}/deliveries"},
		{"POST", "/v1/webhooks/wh_1/test", "POST /v1/webhooks/{id}/test"},
		{"GET", "/v1/webhooks", "GET /v1/webhooks"},
		{"GET", "/v1/groups/grp_1", "GET /v1/groups/{group_id}"},
		{"POST", "/v1/deliveries/dlv_1/retry", "POST /v1/deliveries/{delivery_id}/retry"},
		{"GET", "/v1/health", "GET /v1/health"},
	} {
		if got := route(c.method, c.path); got != c.want {
			t.Errorf("route(%s, %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func TestProxyCountsPerCommand(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer backend.Close()
	p, err := startProxy(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	get := func(c *http.Client, path string) {
		t.Helper()
		resp, err := c.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	c := &http.Client{Transport: &http.Transport{}}
	p.begin()
	get(c, "/v1/webhooks/events")
	get(c, "/v1/webhooks/wh_1")
	get(c, "/v1/webhooks/wh_2")
	get(c, "/v1/webhooks/missing")
	got := p.end()
	c.CloseIdleConnections()
	if got.Requests[catalogRoute] != 1 || got.Requests["GET /v1/webhooks/{id}"] != 3 || len(got.Requests) != 2 {
		t.Errorf("requests = %v", got.Requests)
	}
	if got.Errors["GET /v1/webhooks/{id} 404"] != 1 || len(got.Errors) != 1 {
		t.Errorf("errors = %v", got.Errors)
	}
	if got.Conns != 1 {
		t.Errorf("conns = %d, want 1 (keep-alive)", got.Conns)
	}

	// The next command starts from zero, on new connections.
	c2 := &http.Client{Transport: &http.Transport{}}
	p.begin()
	get(c2, "/v1/webhooks/events")
	got = p.end()
	if got.Requests[catalogRoute] != 1 || len(got.Requests) != 1 || got.Conns != 1 || len(got.Errors) != 0 {
		t.Errorf("second command: %+v", got)
	}
}
