package client

import "time"

// RecoveryListOptions lists the deliveries a recovery of a webhook
// replays: those in status (dead_lettered, succeeded or canceled) created
// at or after since and, when until is not nil, before until, with test
// deliveries left out. A failed test delivery is dead-lettered at once;
// replaying it would send a test event again as if it were part of the
// outage. The provider's hookd_webhook_recover action and the console's
// "Recover dead-lettered deliveries" both list with these options, so they
// always replay the same deliveries.
//
// The API's created_after is exclusive and since is not: the query starts
// a nanosecond (hookd's resolution) earlier, so that a delivery created
// exactly at since, such as the first failure whose created_at was pasted
// there, is replayed too.
func RecoveryListOptions(status string, since time.Time, until *time.Time) DeliveryListOptions {
	notTest := false
	after := since.Add(-time.Nanosecond)
	o := DeliveryListOptions{Status: status, IsTest: &notTest, CreatedAfter: &after}
	if until != nil {
		before := *until
		o.CreatedBefore = &before
	}
	return o
}
