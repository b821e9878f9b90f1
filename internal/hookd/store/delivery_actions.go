package store

// Retryable reports whether a manual retry may start an attempt of the
// delivery now: it is waiting for its next attempt or was dead-lettered.
// The engine's retry claims only these; the console offers its button on
// them.
func (d *Delivery) Retryable() bool {
	return d.Status == DeliveryRetrying || d.Status == DeliveryDeadLettered
}

// Replayable reports whether the delivery may be replayed as a new one:
// only a terminal delivery is (Terminal), the rule of the engine's replay
// and of the console's button.
func (d *Delivery) Replayable() bool { return d.Terminal() }
