package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// unrecovered=true lists the deliveries a recovery still has to replay:
// no replays, none whose event a replay delivered or is delivering; a
// delivery whose replay failed stays. Paged and counted alike; false is
// the same as leaving it out; anything but a boolean is a 422 naming it.
func TestDeliveriesUnrecovered(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	wh := field[string](t, c.ok(req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{
		"url": "https://example.com/hooks", "events": []string{"transfer.created"}}}, http.StatusCreated), "id")
	created := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	delivery := func(id, status string, at time.Duration, replayOf string) store.Delivery {
		d := store.Delivery{ID: id, WebhookID: wh, EventID: "evt_" + id[4:6], EventType: "transfer.created", Status: status,
			MaxAttempts: 12, CreatedAt: created.Add(at), DeadlineAt: created.Add(72 * time.Hour), Trigger: store.TriggerEvent}
		if replayOf != "" {
			d.Trigger, d.ReplayOf = store.TriggerReplay, replayOf
		}
		return d
	}
	// dlv_aa's replay succeeded, dlv_bb's dead-lettered, dlv_cc's is under
	// way, dlv_dd has none.
	for _, ds := range [][]store.Delivery{
		{delivery("dlv_aa0", store.DeliveryDeadLettered, 1*time.Minute, ""), delivery("dlv_aa1", store.DeliverySucceeded, time.Hour, "dlv_aa0")},
		{delivery("dlv_bb0", store.DeliveryDeadLettered, 2*time.Minute, ""), delivery("dlv_bb1", store.DeliveryDeadLettered, time.Hour, "dlv_bb0")},
		{delivery("dlv_cc0", store.DeliveryDeadLettered, 3*time.Minute, ""), delivery("dlv_cc1", store.DeliveryRetrying, time.Hour, "dlv_cc0")},
		{delivery("dlv_dd0", store.DeliveryDeadLettered, 4*time.Minute, "")},
	} {
		ev := &store.Event{ID: ds[0].EventID, Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
		if _, err := s.Store.CreateEvent(t.Context(), ev, ds); err != nil {
			t.Fatal(err)
		}
	}
	base := "/v1/webhooks/" + wh + "/deliveries?status=dead_lettered"
	for query, want := range map[string][]string{
		"&unrecovered=true":  {"dlv_dd0", "dlv_bb0"},
		"&unrecovered=false": {"dlv_bb1", "dlv_dd0", "dlv_cc0", "dlv_bb0", "dlv_aa0"},
		"":                   {"dlv_bb1", "dlv_dd0", "dlv_cc0", "dlv_bb0", "dlv_aa0"},
		"&unrecovered=true&created_before=2026-11-30T03:03:00Z": {"dlv_bb0"},
	} {
		if got := c.listAll(base+query, "id", 1); !slices.Equal(got, want) {
			t.Errorf("GET %s: %v, want %v", base+query, got, want)
		}
		page := c.ok(req{method: "GET", path: base + query + "&include_total=true&limit=1"}, http.StatusOK)
		if got, ok := page["total"].(float64); !ok || int(got) != len(want) {
			t.Errorf("GET %s: total %v, want %d", base+query, page["total"], len(want))
		}
	}
	for _, bad := range []string{"yes", "2", "TRUE "} {
		p := c.problem(req{method: "GET", path: base + "&unrecovered=" + url.QueryEscape(bad), invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "#/unrecovered" || p.Errors[0].Detail != `must be true or false, got "`+bad+`"` {
			t.Errorf("unrecovered=%s: %+v", bad, p.Errors)
		}
	}
}

// The contract documents unrecovered as a boolean: a request with
// unrecovered=true matches it, one with unrecovered=yes does not.
func TestDeliveriesUnrecoveredContract(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	wh := field[string](t, c.ok(req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{
		"url": "https://example.com/hooks", "events": []string{"transfer.created"}}}, http.StatusCreated), "id")
	for value, valid := range map[string]bool{"true": true, "false": true, "yes": false} {
		rec := &contractFindings{TB: t}
		hc := &http.Client{Transport: contract.Transport(rec, nil)}
		r, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/v1/webhooks/"+wh+"/deliveries?unrecovered="+value, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+s.APIKey)
		res, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if got := len(rec.findings) == 0; got != valid {
			t.Errorf("unrecovered=%s: matches the contract %v, want %v: %v", value, got, valid, rec.findings)
		}
		if !valid && !strings.Contains(strings.Join(rec.findings, "\n"), "unrecovered") {
			t.Errorf("unrecovered=%s: the contract's findings do not name the parameter: %v", value, rec.findings)
		}
	}
}

// contractFindings keeps what the contract validator reports instead of
// failing the test.
type contractFindings struct {
	testing.TB
	findings []string
}

func (c *contractFindings) Errorf(format string, args ...any) {
	c.findings = append(c.findings, fmt.Sprintf(format, args...))
}
