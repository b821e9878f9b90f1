package console

import (
	"encoding/json"
	"time"
)

// The API's JSON, as far as the pages show it.

type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
	Total      int     `json:"total"` // with include_total=true
}

type group struct {
	ID   string  `json:"id"`
	Name *string `json:"name"`
}

type webhook struct {
	ID             string    `json:"id"`
	Scope          string    `json:"scope"`
	GroupID        *string   `json:"group_id"`
	Name           *string   `json:"name"`
	URL            string    `json:"url"`
	Events         []string  `json:"events"`
	Active         bool      `json:"active"`
	Status         string    `json:"status"`
	DisabledReason *string   `json:"disabled_reason"`
	CreatedAt      time.Time `json:"created_at"`
}

// AutoDisabled is the state the console highlights.
func (w webhook) AutoDisabled() bool { return w.Status == "auto_disabled" }

type delivery struct {
	ID                     string     `json:"id"`
	WebhookID              string     `json:"webhook_id"`
	EventID                string     `json:"event_id"`
	EventType              string     `json:"event_type"`
	Status                 string     `json:"status"`
	AttemptCount           int        `json:"attempt_count"`
	MaxAttempts            int        `json:"max_attempts"`
	CreatedAt              time.Time  `json:"created_at"`
	LastAttemptAt          *time.Time `json:"last_attempt_at"`
	NextAttemptAt          *time.Time `json:"next_attempt_at"`
	LastResponseStatusCode *int       `json:"last_response_status_code"`
	LastError              *string    `json:"last_error"`
	Trigger                string     `json:"trigger"`
	ReplayOf               *string    `json:"replay_of"`
	IsTest                 bool       `json:"is_test"`
}

// Retryable and Replayable mirror the buttons to the engine's states; the
// engine decides, and says why when it refuses.
func (d delivery) Retryable() bool { return d.Status == "retrying" || d.Status == "dead_lettered" }
func (d delivery) Replayable() bool {
	return d.Status == "succeeded" || d.Status == "dead_lettered" || d.Status == "canceled"
}

type attempt struct {
	Number             int               `json:"number"`
	Trigger            string            `json:"trigger"`
	StartedAt          time.Time         `json:"started_at"`
	DurationMS         int64             `json:"duration_ms"`
	ResponseStatusCode *int              `json:"response_status_code"`
	Error              *string           `json:"error"`
	ResponseBody       string            `json:"response_body"`
	RequestHeaders     map[string]string `json:"request_headers"`
}

type deliveryDetail struct {
	delivery
	Attempts []attempt `json:"attempts"`
}

type eventType struct {
	Type        string          `json:"type"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Stability   string          `json:"stability"`
	Deprecated  bool            `json:"deprecated"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

type testResult struct {
	DeliveryID         string  `json:"delivery_id"`
	Succeeded          bool    `json:"succeeded"`
	ResponseStatusCode *int    `json:"response_status_code"`
	DurationMS         int64   `json:"duration_ms"`
	Error              *string `json:"error"`
}
