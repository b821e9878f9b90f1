package delivery

import "time"

// Observer is told what the engine does, for metrics. Its methods are called
// on the engine's hot paths, from many goroutines: they must be cheap, safe
// for concurrent use, and must not block.
type Observer interface {
	// EventPublished: an event was stored with this many deliveries.
	EventPublished(deliveries int)
	// AttemptStarted: an attempt holds a worker slot and is about to send.
	AttemptStarted()
	// AttemptFinished: the attempt that AttemptStarted announced is over.
	// outcome is the delivery's status after it (succeeded, retrying,
	// dead_lettered), or "failed_to_record" when the store refused it.
	AttemptFinished(outcome string, took time.Duration)
	// DeliveryEnded: a delivery reached its final outcome (dead_lettered)
	// without an attempt: hookd could not make one until its deadline.
	DeliveryEnded(outcome string)
}

type nopObserver struct{}

func (nopObserver) EventPublished(int)                    {}
func (nopObserver) AttemptStarted()                       {}
func (nopObserver) AttemptFinished(string, time.Duration) {}
func (nopObserver) DeliveryEnded(string)                  {}
