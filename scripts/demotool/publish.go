package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// publishCmd publishes events of one category and waits for their
// deliveries.
func publishCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demotool publish", flag.ContinueOnError)
	category := fs.String("category", "", "publish events of this catalog category, such as workspace (its types in turn)")
	n := fs.Int("n", 3, "how many events to publish")
	groupID := fs.String("group-id", "", "publish the events for this group (grp_...), so its group webhooks get them too")
	wait := fs.Duration("wait", 30*time.Second, "wait this long for every delivery to succeed (0: do not wait)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *category == "" || *n < 1 {
		fmt.Fprintln(stderr, "demotool publish: -category is required and -n must be at least 1")
		return errUsage
	}
	c, err := client.New(os.Getenv("HOOKD_ENDPOINT"), os.Getenv("HOOKD_API_KEY"), client.WithUserAgent("hookd-demotool"))
	if err != nil {
		return fmt.Errorf("%w (set HOOKD_ENDPOINT and HOOKD_API_KEY)", err)
	}
	p := publisher{c: c, out: stdout}
	events, deliveries, err := p.publish(ctx, *category, *n, *groupID)
	if err != nil || *wait == 0 {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	return p.waitDelivered(ctx, events, deliveries)
}

// publisher publishes events and follows their deliveries through the API.
type publisher struct {
	c   *client.Client
	out io.Writer
	// poll is how often waitDelivered asks again; pollInterval when zero.
	poll time.Duration
}

// publish sends n events of the category's catalog types (not deprecated),
// in catalog order and round, each with the type's example as data. It
// returns the event ids and how many deliveries hookd made of them.
func (p publisher) publish(ctx context.Context, category string, n int, groupID string) (events []string, deliveries int, err error) {
	catalog, err := p.c.EventCatalog(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the event catalog: %w", err)
	}
	var types []client.EventType
	var categories []string
	for _, et := range catalog {
		if !slices.Contains(categories, et.Category) {
			categories = append(categories, et.Category)
		}
		if et.Category == category && !et.Deprecated {
			types = append(types, et)
		}
	}
	if len(types) == 0 {
		return nil, 0, fmt.Errorf("the catalog has no event types in category %q; it has %s", category, strings.Join(categories, ", "))
	}
	for i := range n {
		et := types[i%len(types)]
		acc, err := p.c.PublishEvent(ctx, client.PublishEventRequest{Type: et.Type, GroupID: groupID, Data: et.Example})
		if err != nil {
			return nil, 0, fmt.Errorf("publish %s: %w", et.Type, err)
		}
		fmt.Fprintf(p.out, "published %s %-28s -> %d %s\n", acc.EventID, et.Type, acc.Deliveries, pluralDeliveries(acc.Deliveries))
		events = append(events, acc.EventID)
		deliveries += acc.Deliveries
	}
	return events, deliveries, nil
}

// waitDelivered waits until the deliveries of the events, want of them,
// have all succeeded; a delivery that failed an attempt ends the wait with
// its error.
func (p publisher) waitDelivered(ctx context.Context, events []string, want int) error {
	poll := p.poll
	if poll == 0 {
		poll = pollInterval
	}
	for {
		succeeded, err := p.succeeded(ctx, events)
		if err != nil {
			return err
		}
		if succeeded >= want {
			fmt.Fprintf(p.out, "all %d %s succeeded\n", want, pluralDeliveries(want))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d deliveries succeeded before the wait ended: %w", succeeded, want, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// succeeded counts the succeeded deliveries of the events, over every
// webhook, and fails on one that did not succeed at its first attempt.
func (p publisher) succeeded(ctx context.Context, events []string) (int, error) {
	count := 0
	for wh, err := range p.c.AllWebhooks(ctx, client.WebhookListOptions{}) {
		if err != nil {
			return 0, fmt.Errorf("list webhooks: %w", err)
		}
		for d, err := range p.c.AllDeliveries(ctx, wh.ID, client.DeliveryListOptions{Filter: deliveries.Filter{IsTest: new(false)}}) {
			if err != nil {
				return 0, fmt.Errorf("list the deliveries of %s: %w", wh.ID, err)
			}
			if !slices.Contains(events, d.EventID) {
				continue
			}
			switch d.Status {
			case "succeeded":
				count++
			case "pending":
			default:
				return 0, fmt.Errorf("delivery %s of %s to %s is %s: %s", d.ID, d.EventType, wh.URL, d.Status, lastAnswer(d))
			}
		}
	}
	return count, nil
}

func lastAnswer(d client.Delivery) string {
	switch {
	case d.LastResponseStatusCode != nil:
		return fmt.Sprintf("the receiver answered %d", *d.LastResponseStatusCode)
	case d.LastError != nil:
		return *d.LastError
	}
	return "no answer recorded"
}

// pluralDeliveries is "delivery" or "deliveries", to go after n.
func pluralDeliveries(n int) string {
	if n == 1 {
		return "delivery"
	}
	return "deliveries"
}
