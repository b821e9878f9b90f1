package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// captureWriter keeps a copy of the response so it can be stored for replays.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// claimKey carries the call's *heldClaim to the handler, for created.
type claimKey struct{}

// heldClaim is the idempotency key a call holds; committed says its outcome
// was stored with the object it created.
type heldClaim struct {
	claim     store.IdempotencyClaim
	committed bool
}

// idempotent makes a POST safe to retry with an Idempotency-Key. The key is
// scoped to the API key, method and path; the body's SHA-256 is its
// fingerprint. Only successful outcomes are stored: a call that failed wrote
// nothing, so running it again is the right answer to a retry. The call
// renews its claim while it runs; a claim whose call never finished
// (hookd was killed) is released when hookd starts again on SQLite, and
// taken over by a retry once its lease ends (IdempotencyLease).
func (a *API) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		values, sent := r.Header[headerIdempotencyKey]
		if !sent {
			next(w, r)
			return
		}
		// A header sent empty (or twice) is a client's mistake, not "no
		// key": its retries would run the call again.
		if len(values) > 1 {
			writeProblem(w, r, badRequest("the Idempotency-Key header is given %d times; send it once", len(values)))
			return
		}
		key := values[0]
		if key == "" {
			writeProblem(w, r, badRequest("the Idempotency-Key header is empty; send a key of 1 to %d characters (the same on every retry of the call), or leave the header out", maxIdempotencyKeyLength))
			return
		}
		if len(key) > maxIdempotencyKeyLength {
			writeProblem(w, r, badRequest("the Idempotency-Key header must be at most %d characters, got %d", maxIdempotencyKeyLength, len(key)))
			return
		}
		body, p := readBody(w, r, false)
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		sum := sha256.Sum256(body)
		fingerprint := hex.EncodeToString(sum[:])
		scoped := sha256.Sum256([]byte(apiKeyHashFrom(r.Context()) + "\n" + r.Method + "\n" + r.URL.Path + "\n" + key))
		scopedKey := hex.EncodeToString(scoped[:])

		now := a.clock.Now()
		rec, err := a.cfg.Store.BeginIdempotent(r.Context(), scopedKey, fingerprint, now,
			now.Add(-a.cfg.IdempotencyTTL), now.Add(a.cfg.IdempotencyLease))
		if err != nil {
			a.internalError(w, r, "check the idempotency key", err)
			return
		}
		if rec != nil {
			switch {
			case rec.Fingerprint != fingerprint:
				writeProblem(w, r, newProblem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused,
					"the Idempotency-Key %q was already used with a different request body; use a new key for a new request", key))
			case rec.InFlight:
				writeProblem(w, r, inFlight(key, rec.ClaimUntil.Sub(now)))
			default:
				if rec.Location != "" {
					w.Header().Set("Location", rec.Location)
				}
				w.Header().Set(headerIdempotentReplayed, "true")
				w.Header().Set("Content-Type", contentTypeJSON)
				w.WriteHeader(rec.StatusCode)
				_, _ = w.Write(rec.Body)
			}
			return
		}

		// Once the key is claimed the call runs to its end even if the client
		// goes away: a client that timed out retries with the same key and must
		// then find the stored outcome, not a half-done call.
		held := &heldClaim{claim: store.IdempotencyClaim{Key: scopedKey, ClaimedAt: now}}
		r = r.WithContext(context.WithValue(context.WithoutCancel(r.Context()), claimKey{}, held))
		cw := &captureWriter{ResponseWriter: w}
		done := false
		defer func() {
			if !done {
				// The handler failed or panicked: it wrote nothing, so release
				// the key and let a retry run again.
				if err := a.cfg.Store.AbortIdempotent(r.Context(), held.claim); err != nil {
					a.log.Error("release idempotency key", "request_id", requestIDFrom(r.Context()), "error", err)
				}
			}
		}()
		// Renewed while the call runs, and no longer once it is over: a
		// renewal must not race the outcome's storing or the release (run
		// first of the deferred, if the handler panics). A create stores its
		// outcome itself, while renewals still run (renewClaim).
		stopRenewing := a.renewClaim(r, held.claim)
		defer stopRenewing()
		next(cw, r)
		stopRenewing()
		switch {
		case held.committed:
			// Stored with the object it created (created).
			done = true
		case cw.status >= 200 && cw.status < 300:
			// The call did its work: never release the key for it to run
			// again. If its outcome cannot be stored, the claim stays in
			// flight until its lease runs out.
			done = true
			o := store.IdempotentOutcome{Claim: held.claim, StatusCode: cw.status, Location: cw.Header().Get("Location"), Body: cw.body.Bytes()}
			if err := a.cfg.Store.CompleteIdempotent(r.Context(), o); err != nil {
				a.log.Error("store idempotent response", "request_id", requestIDFrom(r.Context()), "error", err)
			}
		}
	}
}

// renewClaim renews c every third of the lease until the returned func is
// called (once the call is over, before its outcome is stored or its claim
// released). A renewal that fails is logged and tried again at the next
// tick: the claim still holds for the rest of its lease. One that finds
// the claim gone stops without a word: either a create stored its outcome
// with its object a moment ago (its claim is no longer in flight), or a
// retry took the key over because this call was held up past its lease,
// and then storing its outcome fails and says so.
func (a *API) renewClaim(r *http.Request, c store.IdempotencyClaim) (stop func()) {
	ctx, cancel := context.WithCancel(r.Context())
	done := make(chan struct{})
	t := a.clock.NewTicker(a.cfg.IdempotencyLease / 3)
	go func() {
		defer close(done)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.Chan():
			}
			err := a.cfg.Store.RenewIdempotent(ctx, c, a.clock.Now().Add(a.cfg.IdempotencyLease))
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, store.ErrNotFound):
				return
			default:
				a.log.Error("renew idempotency claim", "request_id", requestIDFrom(r.Context()), "error", err)
			}
		}
	}()
	return sync.OnceFunc(func() {
		cancel()
		<-done
	})
}

// maxInFlightRetryAfter bounds the Retry-After of an in-flight answer: a
// call still running renews its claim, so the claim's end is always a
// lease away, and a client would wait that long for a call that may be
// about to finish; a claim whose call died ends within the lease, which
// a client's retries at this pace outlast (five retries by default).
const maxInFlightRetryAfter = 5

// inFlight answers a call whose key another call holds, whose claim ends
// in left unless that call renews it.
func inFlight(key string, left time.Duration) *problem {
	secs := min(max(int(math.Ceil(left.Seconds())), 1), maxInFlightRetryAfter)
	// The detail says the wait Retry-After gives, as a 429's does.
	p := newProblem(http.StatusConflict, codeIdempotencyInFlight,
		"a request with the Idempotency-Key %q is still being processed; retry after %ds with the same key and body", key, secs)
	p.retryAfterSeconds = secs
	return p
}

// claimLost answers err if it says that the call's idempotency claim was
// taken over (store.ErrClaimLost: the call was held up past its lease and
// a retry holds the key now, for a lease at least) and wrote nothing.
func (a *API) claimLost(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(err, store.ErrClaimLost) {
		return false
	}
	writeProblem(w, r, inFlight(r.Header.Get(headerIdempotencyKey), a.cfg.IdempotencyLease))
	return true
}

// withObject commits the answer of a call that is not a create (a replay's
// new delivery, a rotation's webhook) in the transaction of the object it
// writes, as created does for creates: a retry after a crash, or after the
// outcome could not be stored on its own, replays it instead of running
// the call again (a second replay, a second rotation with another secret).
// The answer is made from the object as it is written (encode), which the
// caller gets back as its context and answer: answer writes that same body
// with status. Without an idempotency key it only encodes and writes.
func withObject[T any](r *http.Request, status int, encode func(T) any) (context.Context, func(w http.ResponseWriter, object T)) {
	ctx := r.Context()
	held, _ := ctx.Value(claimKey{}).(*heldClaim)
	var committed []byte
	if held != nil {
		ctx = store.WithIdempotentOutcome(ctx, store.IdempotentOutcome{Claim: held.claim, StatusCode: status,
			Encode: func(object any) ([]byte, error) {
				o, ok := object.(T)
				if !ok {
					return nil, fmt.Errorf("the answer is made of a %T, the store wrote a %T", *new(T), object)
				}
				body, err := json.Marshal(encode(o))
				committed = body // the write may run fn again: the last is what committed
				return body, err
			}})
	}
	return ctx, func(w http.ResponseWriter, object T) {
		if held == nil || committed == nil {
			writeJSON(w, status, encode(object))
			return
		}
		held.committed = true
		w.Header().Set("Content-Type", contentTypeJSON)
		w.WriteHeader(status)
		_, _ = w.Write(committed)
	}
}

// created runs create, which stores a new object, and answers 201 with v at
// location. Under an idempotency key the answer is encoded first and
// committed by create in the transaction of the object
// (store.WithIdempotentOutcome): a retry replays it even if hookd dies, or
// the outcome cannot be stored, right after the object was. An error of
// create is returned for the caller to answer, except a lost claim, which
// created answers as in flight.
func (a *API) created(w http.ResponseWriter, r *http.Request, location string, v any, create func(context.Context) error) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx := r.Context()
	held, _ := ctx.Value(claimKey{}).(*heldClaim)
	if held != nil {
		ctx = store.WithIdempotentOutcome(ctx, store.IdempotentOutcome{
			Claim: held.claim, StatusCode: http.StatusCreated, Location: location, Body: body,
		})
	}
	if err := create(ctx); err != nil {
		if a.claimLost(w, r, err) {
			return nil
		}
		return err
	}
	if held != nil {
		held.committed = true
	}
	w.Header().Set("Location", location)
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
	return nil
}
