package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// eventCatalog is the live event catalog's type names, for plan-time checks
// of event types with the server's own rule (rules.EventNames). It is
// fetched the first time a plan has something to check (events that
// change, an event filter, a test action's event_type), once per provider
// process, and once per command when the processes share it (cache): a
// refresh, a no-change plan or a destroy never downloads it.
type eventCatalog struct {
	client   *client.Client
	endpoint string
	apiKey   string
	cache    *CommandCache // nil: none

	once     sync.Once
	names    *rules.EventNames
	diags    diag.Diagnostics
	reported atomic.Bool
}

// names returns the catalog's event names, or nil when it could not be
// read (the API then rejects a bad type at apply time, just as clearly).
// What the fetch had to say (a rejected key, an unreachable server, a key
// that may not read the catalog) is added to diags once, by the first
// caller, not once per resource.
func (c *eventCatalog) eventNames(ctx context.Context, diags *diag.Diagnostics) *rules.EventNames {
	if c == nil {
		return nil
	}
	c.once.Do(func() { c.names, c.diags = c.fetch(ctx) })
	if len(c.diags) > 0 && c.reported.CompareAndSwap(false, true) {
		diags.Append(c.diags...)
	}
	return c.names
}

func (c *eventCatalog) fetch(ctx context.Context) (*rules.EventNames, diag.Diagnostics) {
	var diags diag.Diagnostics
	if names, ok := c.cache.load(c.endpoint, c.apiKey); ok {
		return rules.NewEventNames(names), diags
	}
	types, err := c.client.EventCatalog(ctx)
	switch {
	case errors.Is(err, client.ErrUnauthorized):
		diags.AddError("hookd rejected the API key",
			fmt.Sprintf("The server at %s does not accept this API key. %s (%v)", c.endpoint, checkAPIKey, err))
	case errors.Is(err, client.ErrForbidden):
		// A valid key that may not read the catalog (a scoped key, or a
		// gateway's rule) can still manage webhooks: only the plan-time
		// check is lost.
		diags.AddWarning("Event catalog not readable with this API key",
			fmt.Sprintf("The server accepted the API key but does not let it read the event catalog, so event types are checked by the server at apply time instead of at plan time. (%v)", err))
	case errors.Is(err, client.ErrUnreachable):
		diags.AddError("Cannot reach hookd",
			fmt.Sprintf("No answer from %s. %s (%v)", c.endpoint, checkEndpoint, err))
	case err != nil:
		diags.AddWarning("Event catalog unavailable",
			fmt.Sprintf("The event catalog could not be read, so event types are checked by the server at apply time instead of at plan time: %v", err))
	default:
		names := make([]string, len(types))
		for i, et := range types {
			names[i] = et.Type
		}
		c.cache.store(c.endpoint, c.apiKey, names)
		return rules.NewEventNames(names), diags
	}
	return nil, diags
}

// validateType checks one event type against names, or only its shape
// when the catalog could not be read.
func validateType(names *rules.EventNames, t string) error {
	if names == nil {
		return rules.CheckEventTypeShape(t)
	}
	return names.ValidateType(t)
}
