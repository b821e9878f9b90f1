package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookd/terraform-provider-hookd/api"
)

// The query parameters the server takes are exactly those api/openapi.yaml
// lists, operation by operation: a parameter the contract documents is
// never refused as unknown, and one it does not is never accepted.
func TestQueryParamsMatchTheContract(t *testing.T) {
	type parameter struct {
		Ref  string `yaml:"$ref"`
		Name string `yaml:"name"`
		In   string `yaml:"in"`
	}
	var doc struct {
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components struct {
			Parameters map[string]parameter `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(p parameter) parameter {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			return doc.Components.Parameters[name]
		}
		return p
	}
	contract := map[string][]string{}
	for route, item := range doc.Paths {
		// Parameters of the path item apply to each of its operations.
		var shared []parameter
		if node, ok := item["parameters"]; ok {
			if err := node.Decode(&shared); err != nil {
				t.Fatalf("%s parameters: %v", route, err)
			}
		}
		for method, node := range item {
			switch method {
			case "parameters", "summary", "description", "servers":
				continue // not operations
			}
			var op struct {
				Parameters []parameter `yaml:"parameters"`
			}
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, route, err)
			}
			key := strings.ToUpper(method) + " " + route
			contract[key] = []string{}
			// An operation's parameter overrides the path item's of the
			// same name and location (OpenAPI 3.1, Path Item Object).
			query := map[string]bool{}
			for _, p := range append(slices.Clone(shared), op.Parameters...) {
				if p = resolve(p); p.In == "query" {
					query[p.Name] = true
				}
			}
			contract[key] = slices.Collect(maps.Keys(query))
		}
	}
	if len(contract) < 20 {
		t.Fatalf("read %d operations from api/openapi.yaml", len(contract))
	}
	for op, want := range contract {
		got := slices.Sorted(slices.Values(queryParams[op]))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the server takes the query parameters %v, the contract lists %v", op, got, want)
		}
	}
	for op := range queryParams {
		if _, ok := contract[op]; !ok {
			t.Errorf("%s: the server takes query parameters of an operation the contract does not have", op)
		}
	}
	if _, ok := contract[http.MethodGet+" /v1/webhooks"]; !ok {
		t.Error("GET /v1/webhooks is not in the contract read")
	}
}

// The unknown-parameter message lists what the operation takes, in words
// for none, one and several.
func TestQueryProblemWording(t *testing.T) {
	for _, tc := range []struct {
		known []string
		want  string
	}{
		{nil, "query parameter grup_id is unknown: GET /v1/x takes no query parameters"},
		{[]string{"limit"}, "query parameter grup_id is unknown: GET /v1/x takes only limit"},
		{[]string{"limit", "cursor", "group_id"}, "query parameter grup_id is unknown: GET /v1/x takes cursor, group_id and limit"},
	} {
		r, err := http.NewRequest(http.MethodGet, "/v1/x?grup_id=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		p := queryProblem(r, "/v1/x", tc.known)
		if p == nil || p.Detail != tc.want {
			t.Errorf("known %v: %+v, want detail %q", tc.known, p, tc.want)
		}
	}
}
