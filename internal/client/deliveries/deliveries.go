// Package deliveries is the query of GET /v1/webhooks/{id}/deliveries and
// the rule of which deliveries a recovery replays, shared by the client
// (and through it the provider) and by hookd's console, which calls the
// API in-process. It imports nothing of hookd's, so that the server can
// import it while the client's tests start a server.
package deliveries

import (
	"net/url"
	"strconv"
	"time"
)

// Filter narrows a webhook's deliveries; zero values mean "any".
type Filter struct {
	Status        string
	EventType     string
	IsTest        *bool
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
	// Unrecovered keeps only what a recovery still has to replay: no
	// replays, and no delivery whose event a replay to the webhook has
	// delivered or is delivering (the API's unrecovered=true).
	Unrecovered bool
}

// Query is f as the API's query parameters.
func (f Filter) Query() url.Values {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.EventType != "" {
		q.Set("event_type", f.EventType)
	}
	if f.IsTest != nil {
		q.Set("is_test", strconv.FormatBool(*f.IsTest))
	}
	if f.CreatedAfter != nil {
		q.Set("created_after", f.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if f.CreatedBefore != nil {
		q.Set("created_before", f.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
	if f.Unrecovered {
		q.Set("unrecovered", "true")
	}
	return q
}

// Recovery is the filter of the deliveries a recovery of a webhook
// replays: those in status (dead_lettered, succeeded or canceled) created
// at or after since and, when until is not nil, before until, with test
// deliveries left out, and those already recovered left out too. A failed
// test delivery is dead-lettered at once; replaying it would send a test
// event again as if it were part of the outage. A replay leaves its
// original in the status it ended in: without the API's unrecovered=true a
// second recovery of the range (run again after an interruption, from an
// after_update trigger, over an overlapping range) would replay every
// delivery the first one did and send each event again; with it, it
// replays only those whose replays all failed, and the replays themselves
// are never replayed. The provider's hookd_webhook_recover action (through
// client.RecoveryListOptions) and the console's "Recover dead-lettered
// deliveries" both list with it, so they always replay the same
// deliveries.
//
// The API's created_after is exclusive and since is not: the query starts
// a nanosecond (hookd's resolution) earlier, so that a delivery created
// exactly at since, such as the first failure whose created_at was pasted
// there, is replayed too.
func Recovery(status string, since time.Time, until *time.Time) Filter {
	notTest := false
	after := since.Add(-time.Nanosecond)
	f := Filter{Status: status, IsTest: &notTest, CreatedAfter: &after, Unrecovered: true}
	if until != nil {
		before := *until
		f.CreatedBefore = &before
	}
	return f
}
