package store

import (
	"context"
	"testing"
	"time"
)

func TestDeliveriesPerHour(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	since := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	wh, other := "wh_hourly", "wh_other"
	mustCreateWebhook(t, s, minimalWebhook(wh, since))
	mustCreateWebhook(t, s, minimalWebhook(other, since))
	ev := &Event{ID: "evt_hourly", Type: "transfer.created", Body: []byte(`{}`), CreatedAt: since}
	var ds []Delivery
	add := func(id, webhook, status string, at time.Time) {
		ds = append(ds, Delivery{ID: id, WebhookID: webhook, EventID: ev.ID, EventType: ev.Type, Status: status,
			MaxAttempts: 12, CreatedAt: at, DeadlineAt: at.Add(time.Hour), Trigger: TriggerEvent})
	}
	add("dlv_before", wh, DeliverySucceeded, since.Add(-time.Nanosecond))
	add("dlv_a", wh, DeliverySucceeded, since)
	add("dlv_b", wh, DeliverySucceeded, since.Add(59*time.Minute))
	add("dlv_c", wh, DeliveryDeadLettered, since.Add(30*time.Minute))
	add("dlv_d", wh, DeliverySucceeded, since.Add(2*time.Hour+time.Second))
	add("dlv_last", wh, DeliveryRetrying, since.Add(3*time.Hour-time.Nanosecond))
	add("dlv_until", wh, DeliverySucceeded, since.Add(3*time.Hour)) // until is not in the range
	add("dlv_other", other, DeliverySucceeded, since)
	if _, err := s.CreateEvent(ctx, ev, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeliveriesPerHour(ctx, wh, since, since.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []HourlyCount{
		{since, DeliveryDeadLettered, 1}, {since, DeliverySucceeded, 2},
		{since.Add(2 * time.Hour), DeliveryRetrying, 1}, {since.Add(2 * time.Hour), DeliverySucceeded, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Hour.Equal(want[i].Hour) || got[i].Status != want[i].Status || got[i].Count != want[i].Count {
			t.Errorf("[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}
