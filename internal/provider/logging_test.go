package provider

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestLogFields(t *testing.T) {
	tests := map[string]struct {
		entry client.LogEntry
		want  map[string]any
	}{
		"answered": {
			entry: client.LogEntry{Method: "GET", Path: "/v1/groups/grp_1", Attempt: 1, Status: 200, Duration: 42 * time.Millisecond, RequestID: "req_1"},
			want:  map[string]any{"method": "GET", "path": "/v1/groups/grp_1", "attempt": 1, "status": 200, "duration_ms": int64(42), "request_id": "req_1"},
		},
		"no response": {
			entry: client.LogEntry{Method: "POST", Path: "/v1/groups", Attempt: 2, Duration: 3 * time.Millisecond, Error: "connection refused"},
			want:  map[string]any{"method": "POST", "path": "/v1/groups", "attempt": 2, "duration_ms": int64(3), "error": "connection refused"},
		},
		"retry decision": {
			entry: client.LogEntry{Method: "POST", Path: "/v1/groups", Attempt: 1, Wait: 1500 * time.Millisecond, Error: "503"},
			want:  map[string]any{"method": "POST", "path": "/v1/groups", "attempt": 1, "wait_ms": int64(1500), "error": "503"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := logFields(tt.entry); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("logFields = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}
