// Package contract checks HTTP traffic against api/openapi.yaml. Tests wrap
// their client's transport with Transport: every response, and every request
// not marked as deliberately invalid, must match the contract, or the test
// fails with the validator's findings.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/hookd/terraform-provider-hookd/api"
)

var (
	once      sync.Once
	validate  validator.Validator
	model     *v3.Document
	buildErrs []error
	// The validator caches compiled schemas internally; one call at a time
	// keeps it simple and the tests are not bound by this.
	mu sync.Mutex
)

// Validator returns the process-wide validator of the contract.
func Validator() (validator.Validator, error) {
	once.Do(func() {
		doc, err := libopenapi.NewDocument(api.OpenAPI)
		if err != nil {
			buildErrs = []error{err}
			return
		}
		built, err := doc.BuildV3Model()
		if err != nil {
			buildErrs = []error{err}
			return
		}
		model = &built.Model
		var errs []error
		validate, errs = validator.NewValidator(doc)
		buildErrs = errs
	})
	if len(buildErrs) > 0 {
		return nil, fmt.Errorf("api/openapi.yaml: %v", buildErrs)
	}
	return validate, nil
}

type invalidKey struct{}

// Invalid marks a request as deliberately outside the contract (a bad-input
// test): its request is not validated, its response still is.
func Invalid(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

// Transport validates traffic through base (nil: http.DefaultTransport).
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	v, err := Validator()
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	return &transport{t: t, base: base, v: v}
}

type transport struct {
	t    testing.TB
	base http.RoundTripper
	v    validator.Validator
}

func (c *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	skipRequest, _ := req.Context().Value(invalidKey{}).(bool)
	if !skipRequest {
		check := req.Clone(req.Context())
		check.Body = io.NopCloser(bytes.NewReader(reqBody))
		mu.Lock()
		ok, errs := c.v.ValidateHttpRequestSync(check)
		mu.Unlock()
		if !ok {
			c.t.Errorf("contract: request %s %s does not match api/openapi.yaml:\n%s", req.Method, req.URL.Path, describe(errs))
		}
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	checkResp := *resp
	checkResp.Body = io.NopCloser(bytes.NewReader(respBody))
	mu.Lock()
	ok, errs := c.v.ValidateHttpResponse(check, &checkResp)
	mu.Unlock()
	if !ok && skipRequest && outsideContract(errs) {
		// A deliberately wrong path or method (a bad-input test) has no
		// documented response to compare with; the test asserts it.
		ok = true
	}
	if !ok {
		c.t.Errorf("contract: response %d to %s %s does not match api/openapi.yaml:\n%s\nbody: %s", resp.StatusCode, req.Method, req.URL.Path, describe(errs), truncate(respBody))
	}
	if resp.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("contract: response %d to %s %s has no X-Request-Id", resp.StatusCode, req.Method, req.URL.Path)
	}
	return resp, nil
}

// ValidateDelivery checks a request that hookd sent to a webhook receiver,
// with its body, against the contract's `delivery` webhook: the headers a
// receiver is promised and the shape of the body.
func ValidateDelivery(t testing.TB, r *http.Request, body []byte) {
	t.Helper()
	v, err := Validator()
	if err != nil {
		t.Errorf("contract: %v", err)
		return
	}
	item := model.Webhooks.GetOrZero("delivery")
	if item == nil {
		t.Errorf("contract: api/openapi.yaml describes no delivery webhook")
		return
	}
	check := r.Clone(r.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	mu.Lock()
	ok, errs := v.ValidateHttpRequestSyncWithPathItem(check, item, r.URL.Path)
	mu.Unlock()
	if !ok {
		t.Errorf("contract: delivery to %s does not match the delivery webhook of api/openapi.yaml:\n%s\nbody: %s", r.URL.Path, describe(errs), truncate(body))
	}
}

// Properties returns the names of the properties the named schema of
// components/schemas declares, its allOf members' included, sorted: what a
// client type that mirrors the schema must have.
func Properties(schema string) ([]string, error) {
	if _, err := Validator(); err != nil {
		return nil, err
	}
	proxy := model.Components.Schemas.GetOrZero(schema)
	if proxy == nil {
		return nil, fmt.Errorf("api/openapi.yaml has no schema %q", schema)
	}
	seen := map[string]bool{}
	var walk func(s *base.Schema)
	walk = func(s *base.Schema) {
		if s == nil {
			return
		}
		if s.Properties != nil {
			for name := range s.Properties.KeysFromOldest() {
				seen[name] = true
			}
		}
		for _, p := range s.AllOf {
			walk(p.Schema())
		}
	}
	s := proxy.Schema()
	if s == nil {
		return nil, fmt.Errorf("schema %q: %v", schema, proxy.GetBuildError())
	}
	walk(s)
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// outsideContract reports whether the only findings are that the path or
// method is not in the contract.
func outsideContract(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if !e.IsPathMissingError() && !e.IsOperationMissingError() {
			return false
		}
	}
	return len(errs) > 0
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s (at %s)", s.Reason, s.FieldPath)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}
