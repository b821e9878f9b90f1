package httpapi

import (
	"encoding/json"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	var req webhookUpdateRequest
	if p := decodeStrict([]byte(`{"name": null, "url": "https://x", "headers": {"A": "1", "B": null}}`), &req); p != nil {
		t.Fatal(p)
	}
	if !req.Name.Set || !req.Name.Null || !req.URL.Set || req.URL.Value != "https://x" || req.Description.Set {
		t.Fatalf("optional members: %+v", req)
	}
	if v := req.Headers.Value["B"]; v != nil || *req.Headers.Value["A"] != "1" {
		t.Fatalf("headers: %+v", req.Headers.Value)
	}

	var create webhookCreateRequest
	p := decodeStrict([]byte(`{"events": [1], "active": "yes"}`), &create)
	if p == nil || p.Status != 422 || len(p.Errors) != 2 {
		t.Fatalf("type errors: %+v", p)
	}
	if p.Errors[0].Pointer != "/active" || p.Errors[0].Detail != "must be a boolean, not string" {
		t.Errorf("first error %+v", p.Errors[0])
	}
	if p.Errors[1].Pointer != "/events" {
		t.Errorf("second error %+v", p.Errors[1])
	}
	if p := decodeStrict([]byte(`{"a/b": 1}`), &create); p == nil || p.Status != 400 {
		t.Fatalf("unknown member: %+v", p)
	}
}

// FuzzDecoders feeds arbitrary bodies to every request decoder: they must
// never panic, and must either succeed or return a 400/422 problem.
func FuzzDecoders(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"url": "https://example.com", "events": ["*"]}`,
		`{"name": null, "headers": {"X": null, "Y": "1"}}`, `{"grace_period_hours": 1e400}`,
		`{"events": [null, 1, {}]}`, `{"headers": []}`, `{"secret": "whsec_` + "AAAA" + `"}`, `{"a":1,"a":2}`,
		`{"type": "transfer.created", "data": {"x": [1, 2]}, "id": "evt_1"}`, `{"event_type": null}`, `{"data": "\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{
			&webhookCreateRequest{}, &webhookUpdateRequest{}, &groupCreateRequest{},
			&groupUpdateRequest{}, &secretRotateRequest{}, &eventCreateRequest{},
			&webhookTestRequest{},
		}
		for _, dst := range targets {
			p := decodeStrict(body, dst)
			if p == nil {
				if !json.Valid(body) {
					t.Fatalf("accepted invalid JSON %q", body)
				}
				continue
			}
			if p.Status != 400 && p.Status != 422 {
				t.Fatalf("status %d for %q", p.Status, body)
			}
		}
	})
}
