package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestAnswer(t *testing.T) {
	code, msg := int64(503), "http_error"
	timeout := "timeout after 10s"
	for want, got := range map[string]string{
		"HTTP 503 (http_error)":              answer(&code, &msg),
		"HTTP 503":                           answer(&code, nil),
		"no HTTP answer (timeout after 10s)": answer(nil, &timeout),
		"no HTTP answer":                     answer(nil, nil),
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestTestOutcome(t *testing.T) {
	code := int64(204)
	msg, failed := testOutcome("webhook wh_1", &client.TestResult{DeliveryID: "dlv_1", Succeeded: true, ResponseStatusCode: &code, DurationMS: 7})
	if failed || msg != "The test event to webhook wh_1 got HTTP 204 after 7 ms (delivery dlv_1)." {
		t.Errorf("%v %q", failed, msg)
	}
	bad := int64(500)
	if _, failed := testOutcome("x", &client.TestResult{ResponseStatusCode: &bad}); !failed {
		t.Error("a 500 is not a failure")
	}
}

// The attempt an action waits for is the first one above the count it
// started from, even when a scheduled one followed it before the poll;
// none until hookd recorded it.
func TestNextAttempt(t *testing.T) {
	d := &client.DeliveryDetail{Attempts: []client.Attempt{{Number: 1}, {Number: 2}}}
	if a := nextAttempt(d, 2); a != nil {
		t.Fatalf("attempt %d before a new one was recorded", a.Number)
	}
	d.Attempts = append(d.Attempts, client.Attempt{Number: 4, Trigger: "scheduled"}, client.Attempt{Number: 3, Trigger: "manual"})
	if a := nextAttempt(d, 2); a == nil || a.Number != 3 || a.Trigger != "manual" {
		t.Fatalf("got %+v, want the manual attempt 3", a)
	}
	if a := nextAttempt(&client.DeliveryDetail{Attempts: []client.Attempt{{Number: 1}}}, 0); a == nil || a.Number != 1 {
		t.Fatalf("a replay's first attempt: %+v", a)
	}
}

func TestRecoverListOptions(t *testing.T) {
	o, what, err := webhookRecoverModel{Since: types.StringValue("2026-11-30T03:00:00Z"), Until: types.StringNull(), Status: types.StringNull()}.listOptions()
	// since is inclusive, the API's created_after is not: a nanosecond less.
	if err != nil || o.Status != "dead_lettered" || o.IsTest == nil || *o.IsTest || o.CreatedAfter == nil ||
		!o.CreatedAfter.Equal(time.Date(2026, 11, 30, 2, 59, 59, 999999999, time.UTC)) || o.CreatedBefore != nil {
		t.Errorf("%+v %v", o, err)
	}
	if what != "dead_lettered deliveries since 2026-11-30T03:00:00Z" {
		t.Errorf("what = %q", what)
	}
	o, what, err = webhookRecoverModel{Since: types.StringValue("2026-11-30T03:00:00Z"), Until: types.StringValue("2026-11-30T04:00:00+01:00"), Status: types.StringValue("succeeded")}.listOptions()
	if err != nil || o.Status != "succeeded" || o.CreatedBefore == nil || !o.CreatedBefore.Equal(time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)) ||
		what != "succeeded deliveries since 2026-11-30T03:00:00Z until 2026-11-30T04:00:00+01:00" {
		t.Errorf("%+v %q", o, what)
	}
	if _, _, err := (webhookRecoverModel{Since: types.StringValue("yesterday"), Until: types.StringNull(), Status: types.StringNull()}).listOptions(); err == nil {
		t.Error("an unparsable since replays everything")
	}
}
