package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// RetryDelivery makes a manual attempt of a retrying delivery; AllGroups
// pages through every group.
func TestRetryDeliveryAndAllGroups(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)
	var hits atomic.Int32
	wh := webhookWithEvent(t, c, "evt_client_retry", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	var d *Delivery
	waitFor(t, "a retrying delivery", func() bool {
		page, err := c.ListDeliveries(ctx, wh.ID, DeliveryListOptions{Filter: deliveries.Filter{Status: "retrying"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 1 {
			d = &page.Data[0]
		}
		return d != nil
	})
	if _, err := c.ReplayDelivery(ctx, d.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("ReplayDelivery of a retrying delivery: %v, want ErrConflict", err)
	}
	queued, err := c.RetryDelivery(ctx, d.ID)
	if err != nil || queued.ID != d.ID {
		t.Fatalf("RetryDelivery: %+v %v", queued, err)
	}
	waitFor(t, "the manual attempt", func() bool {
		got, err := c.GetDelivery(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status == "succeeded" && len(got.Attempts) == 2 && got.Attempts[1].Trigger == "manual"
	})

	for i := range 3 {
		if _, err := c.CreateGroup(ctx, CreateGroupRequest{Name: fmt.Sprintf("g%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for g, err := range c.AllGroups(ctx, GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, g.Name)
	}
	if fmt.Sprint(names) != "[g0 g1 g2]" {
		t.Fatalf("AllGroups: %v", names)
	}
}

// waitFor polls cond for up to 5 s; the server works in the background.
// webhookWithEvent serves receiver on a loopback port, makes an account
// webhook of transfer.created delivering to it, and publishes one such
// event (id eventID, the catalog's example as its data).
func webhookWithEvent(t *testing.T, c *Client, eventID string, receiver http.Handler) *Webhook {
	t.Helper()
	ctx := t.Context()
	s := &http.Server{Handler: receiver}
	ln := listen(t)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	wh, err := c.CreateAccountWebhook(ctx, CreateWebhookRequest{URL: "http://" + ln.Addr().String() + "/hook", Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := c.EventCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var example json.RawMessage
	for _, et := range cat {
		if et.Type == "transfer.created" {
			example = et.Example
		}
	}
	if _, err := c.PublishEvent(ctx, PublishEventRequest{ID: eventID, Type: "transfer.created", Data: example}); err != nil {
		t.Fatal(err)
	}
	return &wh.Webhook
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
