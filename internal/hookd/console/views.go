package console

import "github.com/hookd/terraform-provider-hookd/internal/client"

// The API's JSON is the typed client's (internal/client): the console reads
// the same answers a client does. The wrappers add what the pages ask of
// them.

type list[T any] = client.Page[T]

type (
	group      = client.Group
	attempt    = client.Attempt
	eventType  = client.EventType
	testResult = client.TestResult
)

type webhook struct{ client.Webhook }

// AutoDisabled is the state the console highlights.
func (w webhook) AutoDisabled() bool { return w.Status == "auto_disabled" }

type delivery struct{ client.Delivery }

// Retryable and Replayable mirror the buttons to the engine's states; the
// engine decides, and says why when it refuses.
func (d delivery) Retryable() bool { return d.Status == "retrying" || d.Status == "dead_lettered" }
func (d delivery) Replayable() bool {
	return d.Status == "succeeded" || d.Status == "dead_lettered" || d.Status == "canceled"
}

type deliveryDetail struct {
	delivery
	Attempts []attempt `json:"attempts"`
}
