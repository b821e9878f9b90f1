package main

import (
	"strings"
	"testing"
	"time"
)

// measured is a provider measurement of phase ph at N = n with the given
// requests.
func measured(n, rep int, ph phase, wall time.Duration, reqs map[string]int) measurement {
	return measurement{N: n, Repeat: rep, Kind: kindProvider, Phase: ph, Wall: wall, API: counts{Requests: reqs}}
}

func floorMeasured(n, rep int, ph phase, wall time.Duration) measurement {
	return measurement{N: n, Repeat: rep, Kind: kindFloor, Phase: ph, Wall: wall, API: counts{Requests: map[string]int{}}}
}

func TestRows(t *testing.T) {
	ms := []measurement{
		measured(10, 1, phaseUpdate, 3*time.Second, map[string]int{"GET /v1/webhooks/{id}": 10, "PATCH /v1/webhooks/{id}": 10, catalogRoute: 2}),
		floorMeasured(10, 1, phaseUpdate, 2*time.Second),
		measured(10, 2, phaseUpdate, 5*time.Second, map[string]int{"GET /v1/webhooks/{id}": 20, "PATCH /v1/webhooks/{id}": 10, catalogRoute: 3}),
		floorMeasured(10, 2, phaseUpdate, 2*time.Second),
		measured(10, 3, phaseUpdate, 4*time.Second, map[string]int{"GET /v1/webhooks/{id}": 10, "PATCH /v1/webhooks/{id}": 10, catalogRoute: 1}),
		floorMeasured(10, 3, phaseUpdate, 1*time.Second),
	}
	ms[0].Provider.PeakRSS, ms[2].Provider.PeakRSS = 50<<20, 70<<20
	ms[0].ChildrenCPU, ms[2].ChildrenCPU, ms[4].ChildrenCPU = time.Second, 3*time.Second, 2*time.Second
	rs := rows(ms)
	if len(rs) != 1 {
		t.Fatalf("%d rows, want 1 (the phases measured)", len(rs))
	}
	r := rs[0]
	if r.Phase != phaseUpdate || r.Provider != 4 || r.Floor != 2 || r.Ratio != 2 || r.ProviderCPU != 2 {
		t.Errorf("row = %+v", r)
	}
	if r.PeakRSS != 70<<20 || r.Catalog != 3 {
		t.Errorf("peak RSS %d, catalog %d: want the most of any run", r.PeakRSS, r.Catalog)
	}
	if r.PerResource["GET"] != 2 || r.PerResource["PATCH"] != 1 || len(r.PerResource) != 2 {
		t.Errorf("per resource = %v (the catalog left out)", r.PerResource)
	}
}

func TestChecks(t *testing.T) {
	const n = 10
	good := map[phase]map[string]int{
		phaseApply:   {"POST /v1/webhooks/account": n, catalogRoute: 1},
		phasePlan:    {"GET /v1/webhooks/{id}": n},
		phaseUpdate:  {"GET /v1/webhooks/{id}": n, "PATCH /v1/webhooks/{id}": n},
		phaseDestroy: {"GET /v1/webhooks/{id}": n - 3, "DELETE /v1/webhooks/{id}": n},
	}
	var ms []measurement
	for _, ph := range phases {
		ms = append(ms, measured(n, 1, ph, time.Second, good[ph]), floorMeasured(n, 1, ph, time.Second))
	}
	for _, c := range checks(n, ms) {
		if !c.OK {
			t.Errorf("%s %s: %s, want a pass", c.Phase, c.Name, c.Observed)
		}
	}

	for name, tc := range map[string]struct {
		m     measurement
		check string // the failing check's name
		want  string // in its observed text
	}{
		"two catalog fetches": {
			measured(n, 2, phaseApply, time.Second, map[string]int{"POST /v1/webhooks/account": n, catalogRoute: 2}),
			"catalog fetches", "2 (repeat 2)"},
		"a catalog read in the no-change plan": {
			measured(n, 3, phasePlan, time.Second, map[string]int{"GET /v1/webhooks/{id}": n, catalogRoute: 1}),
			"catalog fetches", "1 (repeat 3)"},
		"a catalog read in an update of descriptions": {
			measured(n, 1, phaseUpdate, time.Second, map[string]int{"GET /v1/webhooks/{id}": n, "PATCH /v1/webhooks/{id}": n, catalogRoute: 1}),
			"catalog fetches", "1 (repeat 1)"},
		"a catalog read in the destroy": {
			measured(n, 1, phaseDestroy, time.Second, map[string]int{"DELETE /v1/webhooks/{id}": n, catalogRoute: 1}),
			"catalog fetches", "1 (repeat 1)"},
		"a read after each create": {
			measured(n, 1, phaseApply, time.Second, map[string]int{"POST /v1/webhooks/account": n, "GET /v1/webhooks/{id}": n}),
			"API requests", "10 GET /v1/webhooks/{id}, none expected (repeat 1)"},
		"two reads per resource": {
			measured(n, 1, phasePlan, time.Second, map[string]int{"GET /v1/webhooks/{id}": 2 * n}),
			"API requests", "20 GET /v1/webhooks/{id}, want at most 10"},
		"an update that did not update": {
			measured(n, 1, phaseUpdate, time.Second, map[string]int{"GET /v1/webhooks/{id}": n}),
			"API requests", "0 PATCH /v1/webhooks/{id}, want 10"},
		"a retried delete": {
			measured(n, 1, phaseDestroy, time.Second, map[string]int{"DELETE /v1/webhooks/{id}": n + 1}),
			"API requests", "11 DELETE /v1/webhooks/{id}, want 10"},
		"an error response": {
			measurement{N: n, Repeat: 1, Kind: kindProvider, Phase: phasePlan, API: counts{
				Requests: map[string]int{"GET /v1/webhooks/{id}": n}, Errors: map[string]int{"GET /v1/webhooks/{id} 500": 1}}},
			"API requests", "1 error responses GET /v1/webhooks/{id} 500"},
		"the floor asking hookd": {
			measurement{N: n, Repeat: 1, Kind: kindFloor, Phase: phasePlan, API: counts{Requests: map[string]int{catalogRoute: 1}}},
			"floor requests", "plan the floor made 1 API requests (repeat 1)"},
	} {
		t.Run(name, func(t *testing.T) {
			var failed []checkResult
			for _, c := range checks(n, []measurement{tc.m}) {
				if !c.OK {
					failed = append(failed, c)
				}
			}
			if len(failed) != 1 || failed[0].Name != tc.check || !strings.Contains(failed[0].Observed, tc.want) {
				t.Errorf("failed checks = %+v, want one %q saying %q", failed, tc.check, tc.want)
			}
		})
	}
}

func TestBudgetText(t *testing.T) {
	want := "≤1 GET /v1/webhooks/{id} and =1 PATCH /v1/webhooks/{id} per resource; nothing else; no error response"
	if got := phaseUpdate.budgetText(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCatalogText(t *testing.T) {
	for ph, want := range map[phase]string{
		phaseApply:   "≤1 GET /v1/webhooks/events per command",
		phasePlan:    "no GET /v1/webhooks/events: no planned change to events",
		phaseDestroy: "no GET /v1/webhooks/events: no planned change to events",
	} {
		if got := ph.catalogText(); got != want {
			t.Errorf("%s: got %q, want %q", ph, got, want)
		}
	}
}
