package deliveries

import (
	"net/url"
	"testing"
	"time"
)

func TestRecovery(t *testing.T) {
	since := time.Date(2026, 11, 30, 3, 0, 0, 0, time.FixedZone("CET", 3600))
	until := since.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		until *time.Time
		want  url.Values
	}{
		{"since", nil, url.Values{"status": {"dead_lettered"}, "is_test": {"false"}, "unrecovered": {"true"},
			"created_after": {"2026-11-30T01:59:59.999999999Z"}}},
		{"since and until", &until, url.Values{"status": {"dead_lettered"}, "is_test": {"false"}, "unrecovered": {"true"},
			"created_after": {"2026-11-30T01:59:59.999999999Z"}, "created_before": {"2026-11-30T03:00:00Z"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Recovery("dead_lettered", since, tc.until).Query(); got.Encode() != tc.want.Encode() {
				t.Errorf("query %s, want %s", got.Encode(), tc.want.Encode())
			}
		})
	}
	// The filter keeps its own copy of until.
	f := Recovery("succeeded", since, &until)
	until = until.Add(time.Hour)
	if !f.CreatedBefore.Equal(since.Add(time.Hour)) {
		t.Errorf("created_before moved with the caller's variable: %v", f.CreatedBefore)
	}
}

// A filter without Unrecovered sends no unrecovered parameter: the API's
// default, every delivery.
func TestFilterQueryUnrecovered(t *testing.T) {
	if q := (Filter{Status: "succeeded"}).Query(); q.Has("unrecovered") {
		t.Errorf("query %s", q.Encode())
	}
	if q := (Filter{Unrecovered: true}).Query(); q.Encode() != "unrecovered=true" {
		t.Errorf("query %s, want unrecovered=true", q.Encode())
	}
}
