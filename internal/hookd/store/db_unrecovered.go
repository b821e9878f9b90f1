package store

// Recovering a webhook's deliveries (the provider's hookd_webhook_recover,
// the console's Recover) replays the ones its filter lists. A replay is a
// new delivery of the same event to the same webhook; its original keeps
// the status it ended in. Listed with DeliveryFilter.Unrecovered, a
// recovery leaves out what an earlier one (or a manual replay) already
// recovered, so that running it again, or over an overlapping range,
// sends no event twice.

// replaysMigration indexes the replays, by the webhook and event they
// deliver, for the unrecovered filter's look-up: one probe per listed
// delivery, which finds that delivery's replays and nothing else (an
// event's own index, deliveries_event, holds one entry per subscribed
// webhook: thousands to read for an event published to thousands). Only
// replays are in it, and none of its columns changes after the insert.
var replaysMigration = migration{
	version: 12,
	name:    "replays indexed by webhook and event",
	stmts: []string{
		`CREATE INDEX deliveries_replays ON deliveries (webhook_id, event_id) WHERE replay_of IS NOT NULL`,
	},
}

// unrecoveredCondition keeps the deliveries that are not replays and whose
// event no replay to their webhook has delivered or is delivering
// (succeeded, pending or retrying): those a recovery still has to replay.
// A replay that ended dead-lettered or canceled did not recover its
// original. Replays of replays count: what matters is that the event
// reached the webhook. The sub-query's conditions are those of
// deliveries_replays, which it reads.
const unrecoveredCondition = `replay_of IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries AS r
	WHERE r.webhook_id = deliveries.webhook_id AND r.event_id = deliveries.event_id AND r.replay_of IS NOT NULL
	AND r.status IN ('` + DeliveryPending + `', '` + DeliveryRetrying + `', '` + DeliverySucceeded + `'))`
