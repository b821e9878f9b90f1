package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
)

// GetEvent reads a published event back as it was published; an unknown
// one is ErrNotFound, an id of another shape ErrBadRequest.
func TestGetEvent(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)
	webhookWithEvent(t, c, "evt_client_get", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ev, err := c.GetEvent(ctx, "evt_client_get")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := c.EventCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var example bytes.Buffer
	for _, et := range cat {
		if et.Type == "transfer.created" {
			if err := json.Compact(&example, et.Example); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ev.ID != "evt_client_get" || ev.Type != "transfer.created" || ev.GroupID != nil || ev.CreatedAt.IsZero() || !bytes.Equal(ev.Data, example.Bytes()) {
		t.Errorf("GetEvent: %+v (data %s), want the published transfer.created with data %s", ev, ev.Data, example.Bytes())
	}
	if _, err := c.GetEvent(ctx, "evt_never_published"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetEvent of an unknown event: %v, want ErrNotFound", err)
	}
	if _, err := c.GetEvent(contract.Invalid(ctx), "dlv_abc"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("GetEvent of a delivery id: %v, want ErrBadRequest", err)
	}
}

// DeliveryStats counts the webhook's deliveries per hour: by default the
// last 24 hours, or the hours asked for; a range not on the hour is an
// ErrValidation pointing at the parameter, an unknown webhook ErrNotFound.
func TestDeliveryStats(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)
	wh := webhookWithEvent(t, c, "evt_client_stats", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var (
		stats *DeliveryStats
		hour  time.Time // the start of the hour that counts the delivery
	)
	waitFor(t, "the delivery counted as succeeded", func() bool {
		var err error
		if stats, err = c.DeliveryStats(ctx, wh.ID, DeliveryStatsOptions{}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, b := range stats.Data {
			if b != (DeliveryStatsBucket{Start: b.Start}) {
				n++
				hour = b.Start
				if b != (DeliveryStatsBucket{Start: b.Start, Succeeded: 1}) {
					return false
				}
			}
		}
		return n == 1
	})
	if stats.WebhookID != wh.ID || stats.Interval != "hour" || stats.Until.Sub(stats.Since) != 24*time.Hour ||
		len(stats.Data) != 24 || !stats.Data[0].Start.Equal(stats.Since) || stats.Data[22].Start.After(hour) {
		t.Errorf("default stats: %+v, the delivery counted at %s", stats, hour)
	}

	one, err := c.DeliveryStats(ctx, wh.ID, DeliveryStatsOptions{Since: hour, Until: hour.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Data) != 1 || one.Data[0] != (DeliveryStatsBucket{Start: hour, Succeeded: 1}) {
		t.Errorf("the current hour: %+v", one.Data)
	}

	_, err = c.DeliveryStats(ctx, wh.ID, DeliveryStatsOptions{Since: hour.Add(time.Minute)})
	var apiErr *APIError
	if !errors.Is(err, ErrValidation) || !errors.As(err, &apiErr) || len(apiErr.Errors) != 1 || apiErr.Errors[0].Pointer != "#/since" {
		t.Errorf("a since not on the hour: %v, want ErrValidation at #/since", err)
	}
	if _, err := c.DeliveryStats(ctx, "wh_nope", DeliveryStatsOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeliveryStats of an unknown webhook: %v, want ErrNotFound", err)
	}
}
