package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
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

// idempotent makes a POST safe to retry with an Idempotency-Key. The key is
// scoped to the API key, method and path; the body's SHA-256 is its
// fingerprint. Only successful outcomes are stored: a call that failed wrote
// nothing, so running it again is the right answer to a retry.
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
		rec, err := a.cfg.Store.BeginIdempotent(r.Context(), scopedKey, fingerprint, now, now.Add(-a.cfg.IdempotencyTTL))
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
				p := newProblem(http.StatusConflict, codeIdempotencyInFlight,
					"a request with the Idempotency-Key %q is still being processed; retry shortly", key)
				p.retryAfterSeconds = 1
				writeProblem(w, r, p)
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
		r = r.WithContext(context.WithoutCancel(r.Context()))
		cw := &captureWriter{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed {
				// The handler failed or panicked: release the key so a retry runs
				// again.
				if err := a.cfg.Store.AbortIdempotent(r.Context(), scopedKey); err != nil {
					a.log.Error("release idempotency key", "request_id", requestIDFrom(r.Context()), "error", err)
				}
			}
		}()
		next(cw, r)
		if cw.status >= 200 && cw.status < 300 {
			if err := a.cfg.Store.CompleteIdempotent(r.Context(), scopedKey, cw.status, cw.Header().Get("Location"), cw.body.Bytes()); err != nil {
				a.log.Error("store idempotent response", "request_id", requestIDFrom(r.Context()), "error", err)
				return
			}
			completed = true
		}
	}
}
