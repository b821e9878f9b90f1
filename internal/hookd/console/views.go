package console

import (
	"encoding/json"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
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
	ID             string   `json:"id"`
	Scope          string   `json:"scope"`
	GroupID        *string  `json:"group_id"`
	Name           *string  `json:"name"`
	Description    *string  `json:"description"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Active         bool     `json:"active"`
	Status         string   `json:"status"`
	DisabledReason *string  `json:"disabled_reason"`
	// Headers are the webhook's custom headers as the API returns them, in
	// full: it redacts none (the auth token, which it never returns, is
	// not among them).
	Headers   map[string]string `json:"headers"`
	CreatedAt time.Time         `json:"created_at"`
}

// AutoDisabled is the state the console highlights.
func (w webhook) AutoDisabled() bool { return w.Status == store.StatusAutoDisabled }

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

// Retryable and Replayable show the buttons on the deliveries the engine
// would retry or replay, by its own rules (store.Delivery's); the engine
// still decides, and says why when it refuses (the webhook switched off).
func (d delivery) Retryable() bool  { return (&store.Delivery{Status: d.Status}).Retryable() }
func (d delivery) Replayable() bool { return (&store.Delivery{Status: d.Status}).Replayable() }

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
