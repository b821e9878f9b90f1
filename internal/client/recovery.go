package client

import (
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// RecoveryListOptions lists the deliveries a recovery of a webhook
// replays: deliveries.Recovery, the rule hookd's console applies too
// (status, since inclusive, until exclusive, no test deliveries, nothing
// already recovered).
func RecoveryListOptions(status string, since time.Time, until *time.Time) DeliveryListOptions {
	return DeliveryListOptions{Filter: deliveries.Recovery(status, since, until)}
}
