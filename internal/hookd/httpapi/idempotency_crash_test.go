package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// A call in flight when hookd dies leaves its key claimed in the database;
// the restarted hookd releases it, so the retry runs instead of answering
// 409 idempotency_key_in_flight for the next 24 hours.
func TestIdempotencyKeyAfterCrash(t *testing.T) {
	const apiKey = "hookd_crash-test-key-0123456789"
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithAPIKey(apiKey))

	// The receiver holds the first test delivery until the test ends, so
	// that its call is in flight when hookd dies; later ones it answers.
	rcv, arrived, _, _ := holdFirstRequest(t)

	c := newClient(t, s)
	wh := c.createAccountWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})
	path := "/v1/webhooks/" + field[string](t, wh, "id") + "/test"
	key := map[string]string{"Idempotency-Key": "test-1"}

	first := make(chan error, 1)
	go func() {
		r, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewBufferString(`{}`))
		r.Header.Set("Authorization", "Bearer "+apiKey)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "test-1")
		res, err := http.DefaultClient.Do(r)
		if err == nil {
			res.Body.Close()
			err = errors.New("the first call got an answer")
		}
		first <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first test delivery never reached the receiver")
	}
	s.Crash()
	if err := <-first; err == nil {
		t.Fatal("the first call was answered before the crash")
	}

	s = hookdtest.Start(t, hookdtest.WithDir(s.Dir), hookdtest.WithClock(clock), hookdtest.WithAPIKey(apiKey))
	c = newClient(t, s)
	if hookdtest.Postgres() {
		// On a database other processes share, a start releases no claim
		// (its call may be running elsewhere): the dead call's claim holds
		// until its lease runs out, 15 s (nothing renews it any more), not
		// 24 hours; the answer says to come back within a client's retries.
		res := c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key})
		if res.status != http.StatusConflict {
			t.Fatalf("retry within the lease: %d %s, want 409", res.status, res.body)
		}
		if ra, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || ra < 1 || ra > 5 {
			t.Fatalf("Retry-After %q, want 1 to 5 seconds", res.header.Get("Retry-After"))
		}
		clock.Advance(httpapi.DefaultIdempotencyLease + time.Second)
	}
	res := c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key})
	if res.status != http.StatusOK {
		t.Fatalf("retry after the restart: %d %s, want 200 (the call runs)", res.status, res.body)
	}
	if again := c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key}); again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, res.body) {
		t.Fatalf("second retry: %d %v %s, want the replay of the first", again.status, again.header, again.body)
	}
}

// holdFirstRequest is a receiver that holds the first request it gets
// until release is called (or the test ends) and answers the others at
// once; arrived is closed when the first one comes, and calls counts them.
// Every request is verified when the test ends (hookdtest.NewReceiver).
func holdFirstRequest(t *testing.T) (rcv *httptest.Server, arrived <-chan struct{}, release func(), calls *atomic.Int32) {
	t.Helper()
	in, out := make(chan struct{}), make(chan struct{})
	calls = &atomic.Int32{}
	rcv = hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			close(in)
			<-out
		}
		w.WriteHeader(http.StatusNoContent)
	})
	release = sync.OnceFunc(func() { close(out) })
	t.Cleanup(release) // runs before rcv.Close
	return rcv, in, release, calls
}

// failingOutcomes is hookd's store whose CompleteIdempotent fails, as a
// full disk or a lost connection to the database would make it.
type failingOutcomes struct{ *store.DB }

func (failingOutcomes) CompleteIdempotent(context.Context, store.IdempotentOutcome) error {
	return errors.New("disk I/O error")
}

// A create's outcome is committed with the object it created: storing it
// cannot fail on its own after the object was stored, and a retry with the
// same key replays the create instead of making a second webhook with a
// second secret. So are a rotation's (the webhook it rotated) and a
// replay's (the delivery it made): the retry gets the same secret, the
// same new delivery, instead of a second rotation or replay.
func TestCreateOutcomeCommitsWithTheObject(t *testing.T) {
	key, err := secrets.CreateKeyFile(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := secrets.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "hookd.db"), cipher)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	const apiKey = "hookd_outcome-test-key-0123456789"
	engine := delivery.New(delivery.Config{Store: failingOutcomes{db}, Catalog: catalog.Default(), AllowPrivateDestinations: true, Version: "test"})
	api, err := httpapi.New(httpapi.Config{
		Store: failingOutcomes{db}, Engine: engine, Catalog: catalog.Default(), APIKeyHash: secrets.HashAPIKey(apiKey), AllowPrivateDestinations: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL, key: apiKey, http: srv.Client()}

	for _, call := range []struct{ path, list string }{
		{"/v1/webhooks/account", "/v1/webhooks"},
		{"/v1/groups", "/v1/groups"},
	} {
		body := map[string]any{"url": "https://example.com/hooks", "events": []string{"*"}}
		if call.path == "/v1/groups" {
			body = map[string]any{"name": "payments"}
		}
		headers := map[string]string{"Idempotency-Key": "create-" + call.path}
		first := c.do(req{method: http.MethodPost, path: call.path, body: body, headers: headers})
		retry := c.do(req{method: http.MethodPost, path: call.path, body: body, headers: headers})
		if first.status != http.StatusCreated || retry.status != http.StatusCreated {
			t.Fatalf("%s: statuses %d, %d (%s)", call.path, first.status, retry.status, retry.body)
		}
		if retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, retry.body) {
			t.Errorf("%s: the retry was not the replay of the create:\n%s\n%s", call.path, first.body, retry.body)
		}
		list := decode(t, c.do(req{method: http.MethodGet, path: call.list}).body)
		if n := len(field[[]any](t, list, "data")); n != 1 {
			t.Errorf("%s: %d objects after a create and its retry, want 1", call.path, n)
		}
	}

	// A rotation and its retry: one rotation, the same secret.
	hooks := field[[]any](t, decode(t, c.do(req{method: http.MethodGet, path: "/v1/webhooks"}).body), "data")
	whID := field[string](t, as[map[string]any](t, hooks[0]), "id")
	rotate := req{method: http.MethodPost, path: "/v1/webhooks/" + whID + "/secret/rotate", body: map[string]any{}, headers: map[string]string{"Idempotency-Key": "rotate-once"}}
	first, retry := c.do(rotate), c.do(rotate)
	if first.status != http.StatusOK || retry.status != http.StatusOK || retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, retry.body) {
		t.Errorf("rotate: %d, then %d (replayed %q):\n%s\n%s", first.status, retry.status, retry.header.Get("Idempotent-Replayed"), first.body, retry.body)
	}
	if v := field[float64](t, decode(t, c.do(req{method: http.MethodGet, path: "/v1/webhooks/" + whID}).body), "secret_version"); v != 2 {
		t.Errorf("rotate and its retry: secret_version %v, want 2", v)
	}

	// A replay and its retry: one new delivery.
	created := time.Now().UTC().Truncate(time.Microsecond)
	ev := &store.Event{ID: "evt_outcome", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
	if _, err := db.CreateEvent(t.Context(), ev, []store.Delivery{{ID: "dlv_outcome", WebhookID: whID, EventID: ev.ID, EventType: ev.Type,
		Status: store.DeliverySucceeded, MaxAttempts: 12, CreatedAt: created, DeadlineAt: created.Add(72 * time.Hour), Trigger: store.TriggerEvent}}); err != nil {
		t.Fatal(err)
	}
	replay := req{method: http.MethodPost, path: "/v1/deliveries/dlv_outcome/replay", headers: map[string]string{"Idempotency-Key": "replay-once"}}
	first, retry = c.do(replay), c.do(replay)
	if first.status != http.StatusAccepted || retry.status != http.StatusAccepted || retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, retry.body) {
		t.Errorf("replay: %d, then %d (replayed %q):\n%s\n%s", first.status, retry.status, retry.header.Get("Idempotent-Replayed"), first.body, retry.body)
	}
	list := decode(t, c.do(req{method: http.MethodGet, path: "/v1/webhooks/" + whID + "/deliveries"}).body)
	if n := len(field[[]any](t, list, "data")); n != 2 {
		t.Errorf("replay and its retry: %d deliveries, want 2 (the original and one replay)", n)
	}

	// A publish (no event id of the caller's) and its retry: one event,
	// the same event id, not a second event receivers could not tell from
	// the first.
	et, _ := catalog.Default().Lookup("transfer.created")
	publish := req{method: http.MethodPost, path: "/v1/events", body: map[string]any{"type": "transfer.created", "data": et.Example},
		headers: map[string]string{"Idempotency-Key": "publish-once"}}
	first, retry = c.do(publish), c.do(publish)
	if first.status != http.StatusAccepted || retry.status != http.StatusAccepted || retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, retry.body) {
		t.Errorf("publish: %d, then %d (replayed %q):\n%s\n%s", first.status, retry.status, retry.header.Get("Idempotent-Replayed"), first.body, retry.body)
	}
	if n := field[float64](t, decode(t, first.body), "deliveries"); n != 1 {
		t.Errorf("publish: %v deliveries, want 1 (the one webhook subscribed to *)", n)
	}
	list = decode(t, c.do(req{method: http.MethodGet, path: "/v1/webhooks/" + whID + "/deliveries"}).body)
	if n := len(field[[]any](t, list, "data")); n != 3 {
		t.Errorf("publish and its retry: %d deliveries, want 3 (the original, the replay and one publish's)", n)
	}

	// A manual retry and its retry: one attempt. The answer commits with
	// the claim; the attempt's own writes (it is recorded, the delivery
	// succeeds) are not the call's and must not fail for it.
	var received atomic.Int32
	rcv := hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	local := decode(t, c.do(req{method: http.MethodPost, path: "/v1/webhooks/account", body: map[string]any{"url": rcv.URL, "events": []string{"*"}}}).body)
	localID := field[string](t, local, "id")
	ev = &store.Event{ID: "evt_retry", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
	if _, err := db.CreateEvent(t.Context(), ev, []store.Delivery{{ID: "dlv_retry", WebhookID: localID, EventID: ev.ID, EventType: ev.Type,
		Status: store.DeliveryDeadLettered, AttemptCount: 1, MaxAttempts: 12, CreatedAt: created, DeadlineAt: created.Add(72 * time.Hour), Trigger: store.TriggerEvent}}); err != nil {
		t.Fatal(err)
	}
	retryCall := req{method: http.MethodPost, path: "/v1/deliveries/dlv_retry/retry", headers: map[string]string{"Idempotency-Key": "retry-once"}}
	first = c.do(retryCall)
	if first.status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", first.status, first.body)
	}
	waitFor(t, "the retry's attempt", func() bool {
		d, err := db.GetDelivery(t.Context(), "dlv_retry")
		return err == nil && d.Status == store.DeliverySucceeded
	})
	retry = c.do(retryCall)
	if retry.status != http.StatusAccepted || retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, retry.body) {
		t.Errorf("retry: %d, then %d (replayed %q):\n%s\n%s", first.status, retry.status, retry.header.Get("Idempotent-Replayed"), first.body, retry.body)
	}
	_, attempts, err := db.GetDeliveryWithAttempts(t.Context(), "dlv_retry")
	if err != nil || len(attempts) != 1 || received.Load() != 1 {
		t.Errorf("retry and its retry: %d attempts recorded (%v), %d received; want 1 and 1", len(attempts), err, received.Load())
	}

	// A retry whose receiver answers 410: the attempt disables the webhook,
	// a write of its own, which the call's answer must not be stored with.
	gone := hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	goneID := field[string](t, decode(t, c.do(req{method: http.MethodPost, path: "/v1/webhooks/account", body: map[string]any{"url": gone.URL, "events": []string{"*"}}}).body), "id")
	ev = &store.Event{ID: "evt_gone", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
	if _, err := db.CreateEvent(t.Context(), ev, []store.Delivery{{ID: "dlv_gone", WebhookID: goneID, EventID: ev.ID, EventType: ev.Type,
		Status: store.DeliveryDeadLettered, AttemptCount: 1, MaxAttempts: 12, CreatedAt: created, DeadlineAt: created.Add(72 * time.Hour), Trigger: store.TriggerEvent}}); err != nil {
		t.Fatal(err)
	}
	if res := c.do(req{method: http.MethodPost, path: "/v1/deliveries/dlv_gone/retry", headers: map[string]string{"Idempotency-Key": "retry-gone"}}); res.status != http.StatusAccepted {
		t.Fatalf("retry of dlv_gone: %d %s", res.status, res.body)
	}
	waitFor(t, "the webhook disabled by the retry's 410", func() bool {
		wh, err := db.GetWebhook(t.Context(), goneID)
		return err == nil && wh.Status == store.StatusAutoDisabled
	})
}

// A call that runs longer than the idempotency lease keeps its key: it
// renews its claim, so a retry meanwhile answers 409 (and does not run the
// call a second time) however long the call takes, and is told to come
// back within the claim's lease. Once the call is over, the retry replays
// its answer.
func TestIdempotencyClaimRenewedWhileTheCallRuns(t *testing.T) {
	const lease = 3 * time.Second
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) { c.IdempotencyLease = lease }))
	rcv, arrived, releaseOnce, calls := holdFirstRequest(t)

	c := newClient(t, s)
	wh := c.createAccountWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})
	path := "/v1/webhooks/" + field[string](t, wh, "id") + "/test"
	key := map[string]string{"Idempotency-Key": "long-1"}
	first := make(chan resp, 1)
	go func() { first <- c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key}) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first test delivery never reached the receiver")
	}
	// Three leases pass, a third of one at a time; after each step the
	// claim is renewed (a retry's Retry-After, the seconds left of the
	// claim, comes back to the whole lease) and a retry is refused.
	for step := range 9 {
		clock.Advance(lease / 3)
		deadline := time.Now().Add(5 * time.Second)
		for {
			res := c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key})
			if res.status != http.StatusConflict {
				t.Fatalf("step %d: retry while the call runs: %d %s, want 409", step, res.status, res.body)
			}
			if res.header.Get("Retry-After") == "3" {
				// The detail gives the same wait, as a 429's does.
				if d := decode(t, res.body)["detail"]; d != `a request with the Idempotency-Key "long-1" is still being processed; retry after 3s with the same key and body` {
					t.Fatalf("step %d: detail %q", step, d)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("step %d: Retry-After %q, want 3 (the claim renewed for a lease)", step, res.header.Get("Retry-After"))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	releaseOnce()
	res := <-first
	if res.status != http.StatusOK {
		t.Fatalf("the first call: %d %s", res.status, res.body)
	}
	if again := c.do(req{method: http.MethodPost, path: path, body: map[string]any{}, headers: key}); again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, res.body) {
		t.Fatalf("retry after the call: %d %v %s, want the replay of its answer", again.status, again.header, again.body)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the receiver got %d test deliveries, want 1: a retry ran the call again", n)
	}
}
