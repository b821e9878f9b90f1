package store

import "slices"

// deliveriesStatusIndex serves a webhook's deliveries filtered by one of
// the statuses a delivery reaches when it did not get through (retrying,
// dead_lettered, canceled): the API's ?status=, the console's filter, and
// the count of the dead letters a recovery replays. Without it such a
// page, and its count, read every delivery of the webhook through
// deliveries_webhook_created to keep the few of the status: 11,454 of
// them to count 3 dead letters.
//
// It holds those statuses only, so that the path of almost every
// delivery, written pending and then succeeded, never writes to it: a
// delivery written pending and listed by the lister (db_listing.go) before
// its attempt (a backlog) would otherwise get an entry when listed and
// lose it when it succeeded, which cost a backlog's drain (BenchmarkDrain)
// 15 to 20% on SQLite. A page of pending or succeeded deliveries is the
// first of the webhook index's anyway: they are the newest, or most of
// them. Like deliveries_webhook_created on SQLite it holds listed
// deliveries only (on PostgreSQL every delivery is written listed).
//
// A query uses a partial index only where its own conditions hold the
// index's, which neither database proves from status = ? with a
// parameter: deliveryFilter adds indexedStatus, word for word, to a
// filter by one of them.
const deliveriesStatusIndex = `CREATE INDEX deliveries_webhook_status ON deliveries (webhook_id, status, created_at, id)
	WHERE listed = 1 AND ` + indexedStatus

const indexedStatus = `status IN ('` + DeliveryRetrying + `', '` + DeliveryDeadLettered + `', '` + DeliveryCanceled + `')`

// statusIndexed reports whether deliveries_webhook_status holds the
// deliveries of status.
func statusIndexed(status string) bool {
	return slices.Contains([]string{DeliveryRetrying, DeliveryDeadLettered, DeliveryCanceled}, status)
}

// fewOf is cond, a condition that keeps few of the rows it is put to, told
// as such to SQLite's planner. SQLite has no statistics (hookd does not
// run ANALYZE) and rates an index by its shape: a page of a status deeper
// than the first, which also starts at a time (a recovery's pages, the
// console's Older with From set), has two bounds on created_at, and
// deliveries_webhook_created with two bounds looked as narrow as
// deliveries_webhook_status with one more equal column, and read every
// delivery of the webhook between the two. PostgreSQL knows how many
// deliveries each status has.
func (d dialect) fewOf(cond string) string {
	if d == dialectPostgres {
		return cond
	}
	return `likelihood(` + cond + `, 0.05)`
}
