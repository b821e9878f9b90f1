package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// The demo's path, in-process: hookd delivers published events to the
// receiver, which verifies them with the secrets of the create responses.
func TestPublishDeliversToReceiver(t *testing.T) {
	ctx := context.Background()
	hookd := hookdtest.Start(t)
	t.Cleanup(client.CloseIdleConnections) // before the server stops
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	env := startReceiver(t)
	env.r.now = time.Now

	group, err := c.CreateGroup(ctx, client.CreateGroupRequest{Name: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := c.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: env.url + "/hooks/audit", Events: []string{"workspace.*"}})
	if err != nil {
		t.Fatal(err)
	}
	billing, err := c.CreateGroupWebhook(ctx, group.ID, client.CreateWebhookRequest{URL: env.url + "/hooks/billing", Events: []string{"workspace.payment_failed"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeSecrets(env.dir, map[string]string{"audit": audit.Secret, "billing": billing.Secret}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	p := publisher{c: c, out: &out, poll: 20 * time.Millisecond}
	// The workspace types in catalog order: created, plan_changed,
	// payment_succeeded, payment_failed; the group webhook takes the last.
	events, deliveries, err := p.publish(ctx, "workspace", 4, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 || deliveries != 5 {
		t.Fatalf("published %d events with %d deliveries, want 4 and 5; output:\n%s", len(events), deliveries, out.String())
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.waitDelivered(wctx, events, deliveries); err != nil {
		t.Fatalf("waitDelivered: %v\noutput:\n%s\nreceiver:\n%s", err, out.String(), env.out.String())
	}
	if got, want := env.stats(t), (receiverStats{Received: 5, Verified: 5}); got != want {
		t.Errorf("receiver stats = %+v, want %+v\n%s", got, want, env.out.String())
	}
	for _, want := range []string{"workspace.payment_failed", "-> 2 deliveries", "-> 1 delivery\n", "all 5 deliveries succeeded"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("publish output lacks %q:\n%s", want, out.String())
		}
	}
}

// A receiver that rejects the signature ends the wait with hookd's view of
// the failed delivery, instead of waiting out the retry schedule.
func TestPublishWaitStopsOnFailedDelivery(t *testing.T) {
	ctx := context.Background()
	hookd := hookdtest.Start(t)
	t.Cleanup(client.CloseIdleConnections) // before the server stops
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	env := startReceiver(t)
	env.r.now = time.Now
	if _, err := c.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: env.url + "/audit", Events: []string{"transfer.*"}}); err != nil {
		t.Fatal(err)
	}
	env.writeSecret(t, "audit", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") // not the webhook's

	p := publisher{c: c, out: &bytes.Buffer{}, poll: 20 * time.Millisecond}
	events, deliveries, err := p.publish(ctx, "transfer", 1, "")
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = p.waitDelivered(wctx, events, deliveries)
	if err == nil || !strings.Contains(err.Error(), "is retrying: the receiver answered 401") {
		t.Errorf("waitDelivered = %v, want it to report the 401", err)
	}
}

func TestPublishUnknownCategory(t *testing.T) {
	hookd := hookdtest.Start(t)
	t.Cleanup(client.CloseIdleConnections) // before the server stops
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	p := publisher{c: c, out: &bytes.Buffer{}}
	_, _, err = p.publish(context.Background(), "transfers", 1, "")
	if err == nil || !strings.Contains(err.Error(), `no event types in category "transfers"; it has `) || !strings.Contains(err.Error(), "transfer,") {
		t.Errorf("err = %v, want it to list the categories", err)
	}
}
