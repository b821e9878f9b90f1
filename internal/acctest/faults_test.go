package acctest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"

	"github.com/hookd/terraform-provider-hookd/api"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// upstream stands in for hookd: it answers every request with a group and
// counts what reaches it.
func upstream(t *testing.T) (*Env, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_upstream")
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/v1/groups":
			_, _ = io.WriteString(w, `{"data":[],"next_cursor":null}`)
		default:
			_, _ = io.WriteString(w, `{"id":"grp_1","name":"one"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return &Env{Endpoint: srv.URL, APIKey: "key"}, &n
}

func TestFaults(t *testing.T) {
	env, reached := upstream(t)
	faults := env.NewFaults(t)
	c, err := client.New(faults.URL, "key")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// No fault: everything reaches hookd.
	if _, err := c.GetGroup(ctx, "grp_1"); err != nil {
		t.Fatalf("GetGroup without a fault: %v", err)
	}
	if got := reached.Load(); got != 1 {
		t.Fatalf("%d requests reached hookd, want 1", got)
	}

	faults.Set(Forbidden(http.MethodGet, `^/v1/groups/grp_[^/]+$`, "The API key lacks the groups:read permission."))
	_, err = c.GetGroup(ctx, "grp_1")
	var apiErr *client.APIError
	switch {
	case !errors.As(err, &apiErr):
		t.Fatalf("GetGroup with a 403 fault: %v, want an *APIError", err)
	case !errors.Is(err, client.ErrForbidden) || errors.Is(err, client.ErrNotFound):
		t.Errorf("GetGroup with a 403 fault: %v is not ErrForbidden (or is ErrNotFound)", err)
	case apiErr.Code != "forbidden" || apiErr.Detail != "The API key lacks the groups:read permission." || apiErr.RequestID != "req_faultforbidden":
		t.Errorf("GetGroup with a 403 fault: code %q, detail %q, request id %q", apiErr.Code, apiErr.Detail, apiErr.RequestID)
	}
	if got := reached.Load(); got != 1 {
		t.Errorf("the faulted request reached hookd (%d requests)", got)
	}
	if got := faults.Hits(); got != 1 {
		t.Errorf("Hits() = %d, want 1", got)
	}

	// Another method, or another path, is passed on.
	if err := c.DeleteGroup(ctx, "grp_1"); err != nil {
		t.Errorf("DeleteGroup, not faulted: %v", err)
	}
	if _, err := c.ListGroups(ctx, client.GroupListOptions{}); err != nil {
		t.Errorf("ListGroups, not faulted: %v", err)
	}
	if got := reached.Load(); got != 3 {
		t.Errorf("%d requests reached hookd, want 3", got)
	}

	faults.Set()
	if _, err := c.GetGroup(ctx, "grp_1"); err != nil {
		t.Errorf("GetGroup after Set(): %v", err)
	}
	if got := faults.Hits(); got != 1 {
		t.Errorf("Hits() = %d after Set(), want 1", got)
	}
}

// The fault's answer is a Problem of api/openapi.yaml, as hookd writes them.
func TestFaults_problemMatchesContract(t *testing.T) {
	env, _ := upstream(t)
	faults := env.NewFaults(t)
	faults.Set(Forbidden("", `^/v1/webhooks/`, "The API key lacks the webhooks:read permission."))
	res, err := http.Get(faults.URL + "/v1/webhooks/wh_1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if id := res.Header.Get("X-Request-Id"); id != "req_faultforbidden" {
		t.Errorf("X-Request-Id %q, want req_faultforbidden", id)
	}

	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	problem := model.Model.Components.Schemas.GetOrZero("Problem")
	if problem == nil {
		t.Fatal("api/openapi.yaml has no Problem schema")
	}
	ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(problem.Schema(), body)
	if !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  %s (at %s)", s.Reason, s.FieldPath)
			}
		}
		t.Errorf("body: %s", body)
	}
}
