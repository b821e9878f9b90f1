package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/num"
)

// row is one phase of one N in the report.
type row struct {
	Phase             phase
	Provider, Floor   float64 // median wall time, s
	Ratio             float64 // Provider / Floor
	TerraformCPU      float64 // median, s, in the provider's runs
	FloorTerraformCPU float64 // median, s, in the floor's runs
	ProviderCPU       float64 // median, s: the CPU of the children terraform waited for
	PeakRSS           int64   // bytes: the largest VmHWM of any provider process in any repeat
	Procs             int     // provider processes per command, the most of any repeat
	PerResource       map[string]float64
	Catalog           int     // catalog fetches per command, the most of any repeat
	Conns             int     // TCP connections to hookd per command, the most of any repeat
	HookdCPU          float64 // median, s, in the provider's runs
}

// rows sums up the measurements of one N, phase by phase.
func rows(ms []measurement) []row {
	var out []row
	for _, ph := range phases {
		r := row{Phase: ph, PerResource: map[string]float64{}}
		var wall, floor, tf, floorTF, prov, hookd []float64
		for _, m := range ms {
			if m.Phase != ph {
				continue
			}
			if m.Kind == kindFloor {
				floor = append(floor, m.Wall.Seconds())
				floorTF = append(floorTF, m.TerraformCPU.Seconds())
				continue
			}
			wall = append(wall, m.Wall.Seconds())
			tf = append(tf, m.TerraformCPU.Seconds())
			prov = append(prov, m.ChildrenCPU.Seconds())
			hookd = append(hookd, m.HookdCPU.Seconds())
			r.PeakRSS = max(r.PeakRSS, m.Provider.PeakRSS)
			r.Procs = max(r.Procs, m.Provider.Procs)
			r.Catalog = max(r.Catalog, m.API.Requests[catalogRoute])
			r.Conns = max(r.Conns, m.API.Conns)
			for method, c := range byMethod(m.API.Requests) {
				r.PerResource[method] = max(r.PerResource[method], float64(c)/float64(m.N))
			}
		}
		if len(wall) == 0 && len(floor) == 0 {
			continue
		}
		r.Provider, r.Floor = num.Median(wall), num.Median(floor)
		if r.Floor > 0 {
			r.Ratio = r.Provider / r.Floor
		}
		r.TerraformCPU, r.FloorTerraformCPU = num.Median(tf), num.Median(floorTF)
		r.ProviderCPU, r.HookdCPU = num.Median(prov), num.Median(hookd)
		out = append(out, r)
	}
	return out
}

// byMethod sums requests by HTTP method, the catalog's left out (it is
// counted per command, not per resource).
func byMethod(reqs map[string]int) map[string]int {
	out := map[string]int{}
	for rt, c := range reqs {
		if rt == catalogRoute {
			continue
		}
		method, _, _ := strings.Cut(rt, " ")
		out[method] += c
	}
	return out
}

// budget is what a phase may ask of hookd for each resource, beyond the
// catalog: the write the phase is for (exactly one per resource) and the
// refresh Terraform itself asks for before planning (at most one read per
// resource; none in an apply from empty).
type budget struct {
	route       string
	perResource int
	exact       bool // exactly perResource, not at most
}

var budgets = map[phase][]budget{
	phaseApply:   {{"POST /v1/webhooks/account", 1, true}},
	phasePlan:    {{"GET /v1/webhooks/{id}", 1, false}},
	phaseUpdate:  {{"GET /v1/webhooks/{id}", 1, false}, {"PATCH /v1/webhooks/{id}", 1, true}},
	phaseDestroy: {{"GET /v1/webhooks/{id}", 1, false}, {"DELETE /v1/webhooks/{id}", 1, true}},
}

// catalogBudgets is how often one Terraform command of each phase may
// fetch the catalog. The provider reads it only to check event types a
// plan changes, and shares what it read between the provider processes of
// one command: once in the apply, which creates every webhook with its
// events; never in the no-change plan, in the update (it changes
// descriptions, not events: see configuration) or in the destroy. A read
// where none is due means the provider fetches the catalog for plans that
// do not touch events, a cost on every command.
var catalogBudgets = map[phase]int{
	phaseApply:   1,
	phasePlan:    0,
	phaseUpdate:  0,
	phaseDestroy: 0,
}

// catalogText is a phase's catalog rule.
func (p phase) catalogText() string {
	if n := catalogBudgets[p]; n > 0 {
		return fmt.Sprintf("≤%d %s per command", n, catalogRoute)
	}
	return "no " + catalogRoute + ": no planned change to events"
}

func (p phase) budgetText() string {
	var parts []string
	for _, b := range budgets[p] {
		op := "≤"
		if b.exact {
			op = "="
		}
		parts = append(parts, fmt.Sprintf("%s%d %s", op, b.perResource, b.route))
	}
	return strings.Join(parts, " and ") + " per resource; nothing else; no error response"
}

// requestProblems are the ways one command broke its phase's budget.
func requestProblems(m measurement) []string {
	var out []string
	if m.Kind == kindFloor {
		if t := total(m.API.Requests); t > 0 {
			out = append(out, fmt.Sprintf("the floor made %d API requests", t))
		}
		return out
	}
	allowed := map[string]budget{}
	for _, b := range budgets[m.Phase] {
		allowed[b.route] = b
	}
	routes := slices.Sorted(maps.Keys(m.API.Requests))
	for _, b := range budgets[m.Phase] {
		if !slices.Contains(routes, b.route) {
			routes = append(routes, b.route)
		}
	}
	for _, rt := range routes {
		if rt == catalogRoute {
			continue
		}
		got := m.API.Requests[rt]
		b, ok := allowed[rt]
		want := b.perResource * m.N
		switch {
		case !ok && got > 0:
			out = append(out, fmt.Sprintf("%d %s, none expected", got, rt))
		case ok && b.exact && got != want:
			out = append(out, fmt.Sprintf("%d %s, want %d", got, rt, want))
		case ok && !b.exact && got > want:
			out = append(out, fmt.Sprintf("%d %s, want at most %d", got, rt, want))
		}
	}
	for _, e := range slices.Sorted(maps.Keys(m.API.Errors)) {
		out = append(out, fmt.Sprintf("%d error responses %s", m.API.Errors[e], e))
	}
	return out
}

// checkResult is one check of one phase of one N over all its repeats.
type checkResult struct {
	N        int
	Phase    phase
	Name     string
	Rule     string
	Observed string
	OK       bool
}

// checks judges the measurements of one N.
func checks(n int, ms []measurement) []checkResult {
	var out []checkResult
	for _, ph := range phases {
		var problems []string // "<problem> (repeat r)"
		catalog, catalogRepeats := 0, []string{}
		worst := map[string]int{}
		seen := false
		for _, m := range ms {
			if m.Phase != ph || m.Kind != kindProvider {
				continue
			}
			seen = true
			for _, p := range requestProblems(m) {
				problems = append(problems, fmt.Sprintf("%s (repeat %d)", p, m.Repeat))
			}
			for rt, c := range m.API.Requests {
				if rt != catalogRoute {
					worst[rt] = max(worst[rt], c)
				}
			}
			c := m.API.Requests[catalogRoute]
			if c > catalogBudgets[ph] {
				catalogRepeats = append(catalogRepeats, fmt.Sprintf("%d", m.Repeat))
			}
			catalog = max(catalog, c)
		}
		if !seen {
			continue
		}
		observed := perResourceText(worst, n)
		if len(problems) > 0 {
			observed += ": " + strings.Join(problems, "; ")
		}
		out = append(out, checkResult{N: n, Phase: ph, Name: "API requests", Rule: ph.budgetText(), Observed: observed, OK: len(problems) == 0})
		cObs := fmt.Sprintf("%d", catalog)
		if len(catalogRepeats) > 0 {
			cObs = fmt.Sprintf("%d (repeat %s)", catalog, strings.Join(catalogRepeats, ", "))
		}
		out = append(out, checkResult{N: n, Phase: ph, Name: "catalog fetches", Rule: ph.catalogText(),
			Observed: cObs, OK: len(catalogRepeats) == 0})
	}
	var floorProblems []string
	for _, m := range ms {
		if m.Kind == kindFloor {
			for _, p := range requestProblems(m) {
				floorProblems = append(floorProblems, fmt.Sprintf("%s %s (repeat %d)", m.Phase, p, m.Repeat))
			}
		}
	}
	obs := "none"
	if len(floorProblems) > 0 {
		obs = strings.Join(floorProblems, "; ")
	}
	out = append(out, checkResult{N: n, Phase: "all", Name: "floor requests", Rule: "the terraform_data floor makes no API request", Observed: obs, OK: len(floorProblems) == 0})
	return out
}

// perResourceText is "1.00 GET /v1/webhooks/{id}, 1.00 PATCH /v1/webhooks/{id}"
// per resource, sorted by route.
func perResourceText(reqs map[string]int, n int) string {
	if len(reqs) == 0 {
		return "no request"
	}
	var parts []string
	for _, rt := range slices.Sorted(maps.Keys(reqs)) {
		parts = append(parts, fmt.Sprintf("%.2f %s", float64(reqs[rt])/float64(n), rt))
	}
	return strings.Join(parts, ", ")
}
