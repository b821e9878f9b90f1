package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"

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
// nothing, so running it again is the right answer to a retry. A claim
// whose call never finished (hookd was killed) is released when hookd
// starts again, and taken over by a retry after IdempotencyLease.
func (a *API) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(headerIdempotencyKey)
		if key == "" {
			next(w, r)
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
			now.Add(-a.cfg.IdempotencyTTL), now.Add(-a.cfg.IdempotencyLease))
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
				writeProblem(w, r, inFlight(key))
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
		next(cw, r)
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

// inFlight answers a call whose key another call holds.
func inFlight(key string) *problem {
	p := newProblem(http.StatusConflict, codeIdempotencyInFlight,
		"a request with the Idempotency-Key %q is still being processed; retry shortly", key)
	p.retryAfterSeconds = 1
	return p
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
		if errors.Is(err, store.ErrClaimLost) {
			writeProblem(w, r, inFlight(r.Header.Get(headerIdempotencyKey)))
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
