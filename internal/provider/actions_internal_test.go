package provider

import (
	"strings"
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
	msg, failed := testOutcome("webhook wh_1", &client.TestResult{DeliveryID: "dlv_1", Succeeded: true, ResponseStatusCode: &code, DurationMS: 7}, "")
	if failed || msg != "The test event to webhook wh_1 got HTTP 204 after 7 ms (delivery dlv_1)." {
		t.Errorf("%v %q", failed, msg)
	}
	bad, errText := int64(503), "http_error"
	msg, failed = testOutcome("webhook wh_1", &client.TestResult{DeliveryID: "dlv_1", ResponseStatusCode: &bad, Error: &errText, DurationMS: 9}, "receiver says 503\n")
	if !failed || msg != `The test event to webhook wh_1 got HTTP 503 (http_error) after 9 ms (delivery dlv_1). The receiver answered: "receiver says 503".` {
		t.Errorf("%v %q", failed, msg)
	}
}

// A failed attempt's diagnostic quotes the start of the receiver's answer
// on one line, escaped, and says when it is cut. Without an HTTP answer the
// body is what hookd recorded instead (why it did not connect), whole.
func TestReceiverSaid(t *testing.T) {
	status := int64(503)
	long := strings.Repeat("é", 299) + "xyz"
	refused := "hookd did not connect: 127.0.0.1 is a loopback address, and this server delivers only to public addresses. " + strings.Repeat("More. ", 50)
	for _, tc := range []struct {
		status     *int64
		body, want string
	}{
		{&status, "", ""},
		{&status, " \n\t", ""},
		{&status, "receiver says 503", ` The receiver answered: "receiver says 503".`},
		{&status, "line one\r\nline two\u202e\x00", ` The receiver answered: "line one\r\nline two\u202e\x00".`},
		{&status, "{\"error\": \"down\"}\n", ` The receiver answered: "{\"error\": \"down\"}".`},
		{&status, "bad \xff byte", ` The receiver answered: "bad ` + "\ufffd" + ` byte".`}, // not UTF-8: U+FFFD
		{&status, long, ` The receiver answered: "` + strings.Repeat("é", 299) + `x" (truncated to its first 300 characters).`},
		{nil, refused, ` hookd recorded: "` + strings.TrimSpace(refused) + `".`},
		{nil, "", ""},
		// An echoing receiver quotes the webhook's token back.
		{&status, "got Authorization: Bearer tok_0123456789abcdef", ` The receiver answered: "got Authorization: Bearer [redacted]".`},
	} {
		if got := receiverSaid(tc.status, tc.body); got != tc.want {
			t.Errorf("receiverSaid(%v, %q)\n got %s\nwant %s", tc.status != nil, tc.body, got, tc.want)
		}
	}
}

// What a failed attempt's diagnostic says next depends on the delivery as
// hookd left it: a test delivery is never retried, a retrying one is
// retried on its schedule, a dead-lettered one gets no more attempts.
func TestAfterFailure(t *testing.T) {
	next := time.Date(2026, 11, 30, 3, 0, 5, 0, time.UTC)
	for _, tc := range []struct {
		d    client.Delivery
		want string
	}{
		{client.Delivery{ID: "dlv_t", Status: "dead_lettered", IsTest: true},
			"Delivery dlv_t is a test delivery, which hookd attempts once and never retries: fix the receiver and run the action again."},
		{client.Delivery{ID: "dlv_r", Status: "retrying", NextAttemptAt: &next},
			"hookd retries delivery dlv_r on its schedule (next attempt at 2026-11-30T03:00:05Z) until it succeeds or is dead-lettered: fix the receiver, and run hookd_delivery_retry on it for an attempt now."},
		{client.Delivery{ID: "dlv_d", Status: "dead_lettered"},
			"Delivery dlv_d is dead-lettered: hookd makes no more attempts of it on its own. Fix the receiver and run the action again."},
		{client.Delivery{ID: "dlv_c", Status: "canceled"},
			"Delivery dlv_c was canceled (its webhook was disabled or deleted): hookd makes no more attempts of it."},
	} {
		if got := afterFailure(&tc.d); got != tc.want {
			t.Errorf("%s %s test=%v:\n got %s\nwant %s", tc.d.ID, tc.d.Status, tc.d.IsTest, got, tc.want)
		}
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
