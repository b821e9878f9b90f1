package httpapi

import (
	"context"
	"net/http"
	"path"
	"time"
)

// RequestObserver is told about every request served, for metrics.
// Implementations must be safe for concurrent use and cheap.
type RequestObserver interface {
	// ObserveRequest: route is a registered pattern such as
	// "/v1/webhooks/{webhook_id}", or "unmatched"; never the raw path, whose
	// values are unbounded.
	ObserveRequest(route, method string, code int, took time.Duration)
}

// routeUnmatched labels requests no route took (404s of unknown paths), so
// that random paths all land in one series.
const routeUnmatched = "unmatched"

// withMetrics reports each request with its route pattern, status and
// duration. It wraps the logging middleware, so a handler's panic is seen
// as the 500 that middleware answers.
func (a *API) withMetrics(next http.Handler) http.Handler {
	if a.cfg.Requests == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := a.clock.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		code := rec.status
		if code == 0 {
			code = http.StatusOK // what net/http sends for a handler that wrote nothing
		}
		a.cfg.Requests.ObserveRequest(a.routeOf(r), r.Method, code, a.clock.Since(start))
	})
}

// routeOf finds the pattern that serves r by asking the muxes themselves,
// so the label cannot disagree with the routing. Authentication happens
// between the two muxes; asking both here labels a 401 with its route too.
func (a *API) routeOf(r *http.Request) string {
	_, pattern := a.root.Handler(r)
	if pattern != "/" && pattern != "" {
		return pattern
	}
	_, pattern = a.authed.Handler(r)
	switch pattern {
	case "", "/":
		return routeUnmatched
	case patternWebhookActions:
		// One mux pattern serves several documented paths; the action is
		// from a fixed set, so it may be part of the label.
		if action := path.Base(r.URL.Path); a.actions[action] != nil {
			return "/v1/webhooks/{webhook_id}/" + action
		}
		return routeUnmatched
	}
	return pattern
}

// healthz answers while the process serves: liveness, nothing else.
func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyzTimeout bounds the readiness checks, so that a stuck database makes
// the probe fail rather than hang.
const readyzTimeout = 2 * time.Second

// readyz answers 200 when hookd can do its work, 503 naming what is wrong.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyzTimeout)
		defer cancel()
		if err := a.cfg.Ready(ctx); err != nil {
			a.log.Warn("not ready", "request_id", requestIDFrom(r.Context()), "error", err)
			writeProblem(w, r, newProblem(http.StatusServiceUnavailable, codeNotReady, "hookd is not ready: %s", err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
