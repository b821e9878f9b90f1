package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

func recoverConfig(webhookID, since, extra string) string {
	return fmt.Sprintf(`
action "hookd_webhook_recover" "after_outage" {
  config {
    webhook_id = %q
    since      = %q
    %s
  }
}`, webhookID, since, extra)
}

// The receiver was gone: it answered 410, so hookd dead-lettered each
// delivery at once and auto-disabled the webhook (re-enabled by hand
// between the two events, left disabled after the second). Once the
// receiver is back, recover without reenable fails with one error saying
// what to do, and replays nothing; with reenable = true it re-enables the
// webhook (and says so), then replays both dead letters, oldest first,
// saying N of M as it goes: delivered, and verified by the receiver. It
// leaves the others alone.
func TestAccWebhookRecoverAction_deadLettered(t *testing.T) {
	env, clock := frozenHookd(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusGone)
	ctx := context.Background()
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	active := "active"
	var dead []string
	for i := range 2 {
		if i > 0 {
			if _, err := env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active}); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Second) // one created_at each: the order is known
		publish(t, env)
		dead = append(dead, waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.Status == "dead_lettered" && !slices.Contains(dead, d.ID)
		}).ID)
	}
	disabled, err := env.Client.GetWebhook(ctx, wh.ID)
	if err != nil || disabled.Status != "auto_disabled" || disabled.DisabledReason == nil {
		t.Fatalf("after two 410s the webhook is %+v (%v), want auto_disabled", disabled, err)
	}
	rcv.SetStatus(http.StatusOK)
	received := len(rcv.Requests())

	// Not re-enabled: one error saying what to do, nothing replayed.
	out, err := invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, since, ""))
	want := acctest.Words("Error: Webhook auto-disabled", fmt.Sprintf(
		`hookd auto-disabled webhook %[1]s (%[2]s) and replays nothing to it until it is re-enabled: nothing was replayed. `+
			`Once its receiver is fixed, set reenable = true in this action's config to re-enable the webhook and replay in one run; `+
			`or re-enable it first (the Re-enable button on the console's Webhooks page, or PATCH /v1/webhooks/%[1]s with {"status": "active"}) and run the action again.`,
		wh.ID, *disabled.DisabledReason))
	if err == nil || !want.MatchString(out) || strings.Count(out, "Error:") != 1 {
		t.Fatalf("recovering an auto-disabled webhook: %v; want one error %s in:\n%s", err, want, out)
	}
	for _, id := range dead {
		if replays, err := replaysOf(env, wh.ID, id); err != nil || len(replays) != 0 {
			t.Errorf("without reenable %s has %d replays (%v), want none", id, len(replays), err)
		}
	}
	if n := len(rcv.Requests()) - received; n != 0 {
		t.Errorf("without reenable the receiver got %d requests, want none", n)
	}

	// reenable = true: re-enabled, then both replayed and delivered.
	out, err = invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, since, "reenable = true"))
	if err != nil {
		t.Fatalf("recovering with reenable = true: %v\n%s", err, out)
	}
	replays := make([]string, len(dead))
	for i, id := range dead {
		replays[i] = waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.ReplayOf != nil && *d.ReplayOf == id && d.Status == "succeeded"
		}).ID
	}
	for _, line := range []string{
		fmt.Sprintf("Webhook %s is auto_disabled (%s): re-enabling it (PATCH status = active), as reenable = true asks", wh.ID, *disabled.DisabledReason),
		fmt.Sprintf("Webhook %s re-enabled: its status is active", wh.ID),
		"Replaying 2 dead_lettered deliveries since " + since + " of webhook " + wh.ID,
		fmt.Sprintf("1 of 2 replayed: %s as %s", dead[0], replays[0]),
		fmt.Sprintf("2 of 2 replayed: %s as %s", dead[1], replays[1]),
	} {
		if !strings.Contains(out, line) {
			t.Errorf("the output lacks %q:\n%s", line, out)
		}
	}
	if got, err := env.Client.GetWebhook(ctx, wh.ID); err != nil || got.Status != "active" || got.DisabledReason != nil {
		t.Errorf("after the recovery the webhook is %+v (%v), want active", got, err)
	}
	if n := len(rcv.Requests()) - received; n != 2 {
		t.Errorf("the receiver got %d requests after the recovery, want the 2 replays", n)
	}

	// Two more events, delivered fine: not dead-lettered, not replayed.
	example, err := catalogExample(ctx, env, "transfer.created")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := env.Client.PublishEvent(ctx, client.PublishEventRequest{Type: "transfer.created", Data: example}); err != nil {
			t.Fatal(err)
		}
	}
	for end := time.Now().Add(5 * time.Second); len(rcv.Requests()) < received+4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the receiver got %d requests, want the 2 replays and 2 new events", len(rcv.Requests())-received)
		}
	}

	// Run again (the same range; the dead letters are still dead-lettered,
	// their replays succeeded, and two other deliveries succeeded):
	// nothing is replayed, nothing sent.
	before := len(rcv.Requests())
	out, err = invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, since, "reenable = true"))
	if want := "0 of 0 replayed: no dead_lettered deliveries since " + since + " of webhook " + wh.ID + " left to replay"; err != nil || !strings.Contains(out, want) {
		t.Errorf("a second recovery: %v; want %q in:\n%s", err, want, out)
	}
	for _, id := range dead {
		if replays, err := replaysOf(env, wh.ID, id); err != nil || len(replays) != 1 {
			t.Errorf("after a second recovery %s has %d replays (%v), want 1", id, len(replays), err)
		}
	}
	if n := len(rcv.Requests()) - before; n != 0 {
		t.Errorf("a second recovery: the receiver got %d requests, want none", n)
	}
}

// status = "succeeded" sends delivered events again, in the order they
// happened; a range with nothing in it replays nothing and succeeds.
func TestAccWebhookRecoverAction_succeededInOrder(t *testing.T) {
	env, clock := frozenHookd(t)
	_, wh := verifiedWebhook(t, env, http.StatusOK)
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var originals []string
	for range 3 {
		clock.Advance(time.Second) // one created_at each, as in real life
		publish(t, env)
		d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.Status == "succeeded" && !strings.Contains(strings.Join(originals, ","), d.ID)
		})
		originals = append(originals, d.ID)
	}
	out, err := invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, since, `status = "succeeded"`))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i, id := range originals {
		if want := fmt.Sprintf("%d of 3 replayed: %s as dlv_", i+1, id); !strings.Contains(out, want) {
			t.Errorf("the output lacks %q (oldest first):\n%s", want, out)
		}
	}

	// Again: each was replayed, and the replays are not replayed either.
	out, err = invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, since, `status = "succeeded"`))
	if err != nil || !strings.Contains(out, "0 of 0 replayed: no succeeded deliveries since "+since+" of webhook "+wh.ID+" left to replay") {
		t.Errorf("a second recovery of succeeded deliveries: %v\n%s", err, out)
	}
	for _, id := range originals {
		if replays, err := replaysOf(env, wh.ID, id); err != nil || len(replays) != 1 {
			t.Errorf("%s has %d replays (%v), want 1", id, len(replays), err)
		}
	}

	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	out, err = invoke(t, env, "action.hookd_webhook_recover.after_outage", recoverConfig(wh.ID, later, ""))
	if err != nil || !strings.Contains(out, "0 of 0 replayed: no dead_lettered deliveries since "+later+" of webhook "+wh.ID+" left to replay") {
		t.Errorf("an empty range: %v\n%s", err, out)
	}
}

// hookd_webhook_recover from a terraform_data's action_trigger, whose
// input is the outage's time range: recording an outage (after_create)
// replays what was dead-lettered during it; recording the next one
// (after_update) replays what was dead-lettered during that one, and not
// the first outage's deliveries again; widening the range over both
// (after_update again) replays neither again.
func TestAccWebhookRecoverAction_trigger(t *testing.T) {
	env, clock := frozenHookd(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusGone)
	ctx := context.Background()
	// Two outages an hour apart, one dead letter each (the 410 also
	// auto-disables the webhook, which the operator re-enables).
	type outage struct{ since, until, dead string }
	var outages []outage
	for i := range 2 {
		if i > 0 {
			clock.Advance(time.Hour)
		}
		o := outage{
			since: clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			until: clock.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339),
		}
		publish(t, env)
		o.dead = waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.Status == "dead_lettered" && (i == 0 || d.ID != outages[0].dead)
		}).ID
		outages = append(outages, o)
		active := "active"
		if _, err := env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active}); err != nil {
			t.Fatal(err)
		}
	}
	rcv.SetStatus(http.StatusOK)
	config := func(o outage) string {
		return env.Config(fmt.Sprintf(`
action "hookd_webhook_recover" "after_outage" {
  config {
    webhook_id = %q
    since      = terraform_data.outage.input.since
    until      = terraform_data.outage.input.until
  }
}

resource "terraform_data" "outage" {
  input = {
    since = %q
    until = %q
  }

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.hookd_webhook_recover.after_outage]
    }
  }
}`, wh.ID, o.since, o.until))
	}
	// replayed checks how many delivered replays each outage's dead letter
	// has; the action does not wait for them, so it polls a little.
	replayed := func(want ...int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			deadline := time.Now().Add(5 * time.Second)
			for {
				var problems []error
				for i, o := range outages {
					replays, err := replaysOf(env, wh.ID, o.dead)
					if err != nil {
						return err
					}
					delivered := 0
					for _, r := range replays {
						if r.Status == "succeeded" {
							delivered++
						}
					}
					if len(replays) != want[i] || delivered != want[i] {
						problems = append(problems, fmt.Errorf("%s (outage %d) has %d replays, %d delivered; want %d delivered", o.dead, i+1, len(replays), delivered, want[i]))
					}
				}
				if len(problems) == 0 {
					return nil
				}
				if time.Now().After(deadline) {
					return errors.Join(problems...)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{Config: config(outages[0]), Check: replayed(1, 0)},
			{
				Config: config(outages[1]),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("terraform_data.outage", plancheck.ResourceActionUpdate),
				}},
				Check: replayed(1, 1),
			},
			{
				// A range over both outages: both were recovered, and
				// neither is replayed again.
				Config: config(outage{since: outages[0].since, until: outages[1].until}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("terraform_data.outage", plancheck.ResourceActionUpdate),
				}},
				Check: replayed(1, 1),
			},
		},
	})
}

func TestAccWebhookRecoverAction_badInput(t *testing.T) {
	env := acctest.Start(t)
	step := func(extra, want string) resource.TestStep {
		return resource.TestStep{
			Config:      env.Config(recoverConfig("wh_0123456789abcdefghij", "2026-11-30T03:00:00Z", extra) + triggeredBy("action.hookd_webhook_recover.after_outage")),
			ExpectError: acctest.Words(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			step(`until = "2026-11-30T02:00:00Z"`, `until (2026-11-30T02:00:00Z) must be after since (2026-11-30T03:00:00Z).`),
			step(`until = "yesterday"`, `"yesterday" is not an RFC 3339 time`),
			step(`status = "retrying"`, `status must be one of "dead_lettered", "succeeded" or "canceled", got "retrying"; leave it out to replay the "dead_lettered" ones; hookd_delivery_retry retries a "retrying" delivery now.`),
		},
	})
}

// A recovery stopped half-way (Ctrl-C: Terraform cancels the invoke's
// context) says how far it got, names the next delivery and prints its
// created_at as the since to go on from; run again with it, it replays
// the rest and only the rest.
func TestWebhookRecoverAction_interrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := clockwork.NewFakeClockAt(time.Now())
	hookd := hookdtest.Start(t, hookdtest.WithClock(clock))
	t.Cleanup(client.CloseIdleConnections)
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	env := &acctest.Env{Endpoint: hookd.URL, APIKey: hookd.APIKey, Client: c, Server: hookd}
	rcv, wh := verifiedWebhook(t, env, http.StatusGone)
	since := clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var dead []client.Delivery
	for range 3 {
		clock.Advance(time.Second) // one created_at each
		publish(t, env)
		dead = append(dead, waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.Status == "dead_lettered" && !slices.ContainsFunc(dead, func(o client.Delivery) bool { return o.ID == d.ID })
		}))
		active := "active"
		if _, err := c.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active}); err != nil {
			t.Fatal(err)
		}
	}
	rcv.SetStatus(http.StatusOK)

	// Between the provider and hookd: the second replay's request cancels
	// the invoke, as Ctrl-C would, and is never answered.
	target, err := url.Parse(hookd.URL)
	if err != nil {
		t.Fatal(err)
	}
	var replays atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/replay") && replays.Add(1) == 2 {
			cancel()
			<-r.Context().Done()
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	ps, actions, schema := protocolServer(t)
	configured, err := ps.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.16.4",
		Config: objectValue(t, schema.Provider, map[string]tftypes.Value{
			"endpoint": str(front.URL), "api_key": str(hookd.APIKey), "max_retries": tftypes.NewValue(tftypes.Number, 1),
		}),
	})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("configure: %v%s", err, diagnosticsText(configured.Diagnostics))
	}
	run := func(ctx context.Context, since string) ([]string, []*tfprotov6.Diagnostic) {
		t.Helper()
		stream, err := actions.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{
			ActionType: "hookd_webhook_recover",
			Config: objectValue(t, schema.ActionSchemas["hookd_webhook_recover"].Schema, map[string]tftypes.Value{
				"webhook_id": str(wh.ID), "since": str(since),
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		var progress []string
		var diags []*tfprotov6.Diagnostic
		for ev := range stream.Events {
			switch e := ev.Type.(type) {
			case tfprotov6.ProgressInvokeActionEventType:
				progress = append(progress, e.Message)
			case tfprotov6.CompletedInvokeActionEventType:
				diags = e.Diagnostics
			}
		}
		return progress, diags
	}

	_, diags := run(ctx, since)
	next := dead[1].CreatedAt.UTC().Format(time.RFC3339Nano)
	want := fmt.Sprintf("1 of 3 deliveries replayed, 0 refused, before: context canceled. The next one to replay is %s, created at %s: "+
		"run the action again with since = %q to go on from it. Deliveries already replayed are left out whatever since is, "+
		"so this run's since goes on as well.", dead[1].ID, next, next)
	if len(diags) != 1 || diags[0].Summary != "Recovery interrupted" || diags[0].Detail != want {
		t.Fatalf("interrupted:%s\nwant the detail:\n  %s", diagnosticsText(diags), want)
	}

	// Go on from the since it printed: the other two, oldest first.
	progress, diags := run(context.Background(), next)
	if len(diags) > 0 {
		t.Fatalf("going on:%s", diagnosticsText(diags))
	}
	got := strings.Join(progress, "\n")
	for i, d := range dead[1:] {
		if w := fmt.Sprintf("%d of 2 replayed: %s as dlv_", i+1, d.ID); !strings.Contains(got, w) {
			t.Errorf("going on: no %q in:\n%s", w, got)
		}
	}
	// And with the first since: nothing is left.
	progress, diags = run(context.Background(), since)
	if len(diags) > 0 || !strings.Contains(strings.Join(progress, "\n"), "0 of 0 replayed") {
		t.Errorf("from the first since:%s\n%s", diagnosticsText(diags), strings.Join(progress, "\n"))
	}
	for _, d := range dead {
		if rs, err := replaysOf(env, wh.ID, d.ID); err != nil || len(rs) != 1 {
			t.Errorf("%s has %d replays (%v), want 1", d.ID, len(rs), err)
		}
	}
}
