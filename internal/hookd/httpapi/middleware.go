package httpapi

import (
	"context"
	"crypto/subtle"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/problemdoc"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAPIKeyHash
	ctxSessionKeyHash
)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func apiKeyHashFrom(ctx context.Context) string {
	h, _ := ctx.Value(ctxAPIKeyHash).(string)
	return h
}

func (a *API) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := problemdoc.RequestID(r)
		w.Header().Set(headerRequestID, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID, id)))
	})
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// withLogging logs one line per request. Only method, path, status, duration
// and request id: never headers or bodies, which hold keys and secrets.
func (a *API) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := a.clock.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				a.log.Error("panic serving request", "request_id", requestIDFrom(r.Context()), "panic", v, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeProblem(rec, r, newProblem(http.StatusInternalServerError, codeInternalError, "the server failed; retry later and report request id %s", requestIDFrom(r.Context())))
				}
			}
			a.log.Info("request",
				"method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", a.clock.Since(start).Milliseconds(), "request_id", requestIDFrom(r.Context()))
		}()
		next.ServeHTTP(rec, r)
	})
}

// withAuth requires a valid API key and puts its hash in the context (the
// idempotency and rate-limit scopes). A request from ServeSession carries
// the hash of the key its session signed in with instead, checked the same
// way on every request. A client address that keeps failing is answered
// 429 before its key is even looked at (authFailures), so keys cannot be
// guessed at the speed of the server.
func (a *API) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, fromSession := r.Context().Value(ctxSessionKeyHash).(string)
		var valid bool
		var err error
		if fromSession {
			valid, err = a.validKey(r.Context(), hash)
		} else {
			scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				key = ""
			}
			var wait time.Duration
			hash, valid, wait, err = a.CheckAPIKey(r, key)
			if wait > 0 {
				writeProblem(w, r, rateLimited(wait, "too many requests with a wrong API key from this address"))
				return
			}
			if err == nil && strings.TrimSpace(key) == "" {
				unauthorized(w, r, "missing API key: send it as `Authorization: Bearer <api key>`")
				return
			}
		}
		if err != nil {
			a.internalError(w, r, "check api key", err)
			return
		}
		if !valid {
			unauthorized(w, r, "the API key is not valid for this server")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxAPIKeyHash, hash)))
	})
}

// CheckAPIKey reports whether key, sent with r, is accepted, and returns
// its hash: withAuth's rule, and the console's sign-in. A wrong key counts
// as a failure of r's client address (a missing one does not); an address over its
// failure limit gets the wait instead of a check, so that keys cannot be
// guessed at the speed of the server through either door.
func (a *API) CheckAPIKey(r *http.Request, key string) (hash string, ok bool, wait time.Duration, err error) {
	client := clientAddress(r, a.cfg.TrustedProxies)
	if wait := a.authFailures.wait(r.Context(), client, a.clock.Now()); wait > 0 {
		return "", false, wait, nil
	}
	key = strings.TrimSpace(key)
	if key != "" {
		hash = secrets.HashAPIKey(key)
		if ok, err = a.validKey(r.Context(), hash); err != nil {
			return "", false, 0, err
		}
	}
	// A request that sent no key guesses nothing (a browser's automatic
	// /favicon.ico, a probe, a client not configured yet): it is refused,
	// not counted against its address.
	if !ok && key != "" {
		a.authFailures.fail(r.Context(), client, a.clock.Now())
	}
	return hash, ok, 0, nil
}

// ServeSession serves r, an in-process request of the console, as the API
// serves a request signed with the key whose hash is keyHash (from
// CheckAPIKey): same routes, validation, errors, rate limit, idempotency
// and log lines. The key is checked again, so a key removed from the
// database stops working for its sessions too.
func (a *API) ServeSession(w http.ResponseWriter, r *http.Request, keyHash string) {
	a.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxSessionKeyHash, keyHash)))
}

// unauthorized is a 401 with the challenge RFC 9110 requires of it.
func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeProblem(w, r, newProblem(http.StatusUnauthorized, codeUnauthorized, "%s", detail))
}

// RetryAfterSeconds is a wait as a 429 says it: whole seconds rounded up,
// at least one. The console's sign-in says its waits with it too.
func RetryAfterSeconds(wait time.Duration) int { return max(1, int(math.Ceil(wait.Seconds()))) }

// rateLimited is a 429 whose detail and Retry-After say the same wait, in
// whole seconds rounded up (never "0s": a client that waits that long
// must get through).
func rateLimited(wait time.Duration, what string) *problem {
	secs := RetryAfterSeconds(wait)
	p := newProblem(http.StatusTooManyRequests, codeRateLimited, "%s; retry after %ds", what, secs)
	p.retryAfterSeconds = secs
	return p
}

func (a *API) validKey(ctx context.Context, hash string) (bool, error) {
	if a.cfg.APIKeyHash != "" {
		return subtle.ConstantTimeCompare([]byte(hash), []byte(a.cfg.APIKeyHash)) == 1, nil
	}
	return a.cfg.Store.HasAPIKey(ctx, hash)
}

// limiters is a token bucket per API key.
type limiters struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

// Buckets are token buckets kept outside the process (store.DB on
// PostgreSQL).
type Buckets interface {
	TakeToken(ctx context.Context, r store.BucketRequest) (time.Duration, error)
}

func (a *API) withRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.limits.limit <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		key := apiKeyHashFrom(r.Context())
		if shared := a.cfg.SharedLimits; shared != nil {
			wait, err := shared.TakeToken(r.Context(), store.BucketRequest{
				Key: "api_key/" + key, Now: a.clock.Now(), PerSec: float64(a.limits.limit), Burst: float64(a.limits.burst), Take: true,
			})
			if err != nil {
				// A limit that cannot be read lets the request through
				// rather than failing it: the database is in trouble, and
				// the request will find out on its own.
				a.log.Warn("rate limit not applied: its bucket could not be read", "request_id", requestIDFrom(r.Context()), "error", err)
			} else if wait > 0 {
				writeProblem(w, r, rateLimited(wait, "too many requests for this API key"))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		a.limits.mu.Lock()
		l, ok := a.limits.buckets[key]
		if !ok {
			l = rate.NewLimiter(a.limits.limit, a.limits.burst)
			a.limits.buckets[key] = l
		}
		a.limits.mu.Unlock()
		now := a.clock.Now()
		res := l.ReserveN(now, 1)
		if delay := res.DelayFrom(now); delay > 0 {
			res.CancelAt(now)
			writeProblem(w, r, rateLimited(delay, "too many requests for this API key"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.Error("internal error", "op", what, "request_id", requestIDFrom(r.Context()), "error", err)
	writeProblem(w, r, newProblem(http.StatusInternalServerError, codeInternalError, "the server failed to %s; retry later and report request id %s", what, requestIDFrom(r.Context())))
}
