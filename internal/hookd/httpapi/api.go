// Package httpapi serves the Hooks API v1 (api/openapi.yaml) over plain
// net/http: one handler file per resource, strict decoding, problem+json
// errors, API-key auth, per-key rate limits and idempotent POSTs.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/time/rate"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
)

// Config wires the API to its dependencies.
type Config struct {
	Store   delivery.Store
	Engine  *delivery.Engine
	Catalog *catalog.Catalog
	Clock   clockwork.Clock // nil: the real clock
	Logger  *slog.Logger    // nil: discard
	Version string

	// AllowPrivateDestinations accepts webhook URLs on loopback and private
	// hosts (and plain http to them): for local development and tests.
	AllowPrivateDestinations bool

	// APIKeyHash, when set, is the only accepted key (secrets.HashAPIKey of
	// the --api-key flag). When empty the keys stored in the database apply.
	APIKeyHash string

	// RateLimit is requests per second per API key (0 disables), with bursts
	// of RateBurst.
	RateLimit float64
	RateBurst int

	// AuthFailureLimit is failed authentications per second per client
	// address (0: DefaultAuthFailureLimit; negative disables), in bursts of
	// AuthFailureBurst (0: DefaultAuthFailureBurst). Past it, the address
	// gets 429 until a token is back.
	AuthFailureLimit float64
	AuthFailureBurst int
	// TrustedProxies are the proxies (a TLS-terminating proxy, a load
	// balancer) whose X-Forwarded-For says which client a request came
	// from, for the failed-authentication limit: see clientAddress.
	TrustedProxies []netip.Prefix
	// SharedLimits, when set, keeps both limits' buckets there instead of
	// in this process's memory: the store, when several processes share it
	// (PostgreSQL), so that they limit together what one would alone.
	SharedLimits Buckets

	// IdempotencyTTL is how long idempotency keys are kept (default 24h).
	IdempotencyTTL time.Duration
	// IdempotencyLease is how long a call's claim on its key holds unless
	// the call renews it, which it does every third of it while it runs
	// (default DefaultIdempotencyLease); past it, a retry takes the key
	// over.
	IdempotencyLease time.Duration

	// Requests is told about every request (nil: nobody).
	Requests RequestObserver
	// Metrics, when set, is served at GET /metrics behind the API key;
	// when nil, GET /metrics answers 404 saying that --metrics-addr's
	// listener serves them (the only reason hookd leaves it nil).
	Metrics http.Handler
	// Ready says why hookd cannot do its work, nil when it can; GET /readyz
	// answers 503 with its message. Nil: always ready.
	Ready func(context.Context) error
}

// DefaultIdempotencyTTL is how long an idempotent request's outcome is
// replayed; the delivery engine prunes older ones (the server gives both
// this value).
const DefaultIdempotencyTTL = 24 * time.Hour

// DefaultIdempotencyLease bounds how long a call that died keeps its key
// from a retry: a call renews its claim every third of it while it runs
// (however long that is), so a claim whose lease ends belongs to a call
// that is gone (its process died, on a database other processes share).
// Short enough that a client's retries outlast it (Retry-After of an
// in-flight answer, inFlight), long enough that a renewal held up by a
// loaded database (it has two thirds of the lease) does not let a retry
// run a call that is still running.
const DefaultIdempotencyLease = 15 * time.Second

// API is the http.Handler of the Hooks API.
type API struct {
	cfg    Config
	clock  clockwork.Clock
	log    *slog.Logger
	limits *limiters
	// authFailures limits failed authentications per client address.
	authFailures *authFailures
	handler      http.Handler
	catalog      []byte // the catalog response, encoded once

	// The muxes and webhook actions, kept to name a request's route (routeOf).
	root, authed *http.ServeMux
	actions      map[string]methods
}

// patternWebhookActions serves several documented paths, by action.
const patternWebhookActions = "/v1/webhooks/{webhook_id}/{action}"

// patternGroupWebhooks creates group webhooks (POST only, see
// wrongMethodOnGroupCreate).
const patternGroupWebhooks = "/v1/webhooks/group/{group_id}"

// New builds the API handler.
func New(cfg Config) (*API, error) {
	a := &API{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	if a.clock == nil {
		a.clock = clockwork.NewRealClock()
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.cfg.IdempotencyTTL <= 0 {
		a.cfg.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if a.cfg.IdempotencyLease <= 0 {
		a.cfg.IdempotencyLease = DefaultIdempotencyLease
	}
	if a.cfg.RateBurst <= 0 {
		a.cfg.RateBurst = max(1, int(a.cfg.RateLimit))
	}
	a.authFailures = newAuthFailures(cfg.AuthFailureLimit, cfg.AuthFailureBurst)
	a.authFailures.shared, a.authFailures.log = cfg.SharedLimits, a.log
	a.limits = &limiters{limit: rate.Limit(cfg.RateLimit), burst: a.cfg.RateBurst, buckets: map[string]*rate.Limiter{}}
	body, err := json.Marshal(map[string]any{"data": cfg.Catalog.Types()})
	if err != nil {
		return nil, err
	}
	a.catalog = body
	a.handler = a.routes()
	return a, nil
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// methods maps HTTP methods to handlers for one path, so that a wrong method
// gets a problem+json 405 with Allow, not net/http's plain-text one. HEAD
// is served by the GET handler (RFC 9110 requires it of every GET resource:
// the same status and headers, and net/http sends no body); anyMethod
// serves every method the map has no handler of its own for.
type methods map[string]http.HandlerFunc

// anyMethod, as a key of methods, serves every method.
const anyMethod = "*"

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := m[r.Method]; ok {
		h(w, r)
		return
	}
	if h, ok := m[http.MethodGet]; ok && r.Method == http.MethodHead {
		h(w, r)
		return
	}
	if h, ok := m[anyMethod]; ok {
		h(w, r)
		return
	}
	allowed := make([]string, 0, len(m)+1)
	for k := range m {
		allowed = append(allowed, k)
		if k == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	sort.Strings(allowed)
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, codeMethodNotAllowed, "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
}

func (a *API) routes() http.Handler {
	a.actions = map[string]methods{
		"deliveries": {http.MethodGet: a.listDeliveries},
		"test":       {http.MethodPost: a.idempotent(a.testWebhook)},
	}
	for action, m := range a.actions {
		a.actions[action] = withQuery("/v1/webhooks/{webhook_id}/"+action, m)
	}
	authed := http.NewServeMux()
	for pattern, m := range map[string]methods{
		"/v1/groups":                              {http.MethodGet: a.listGroups, http.MethodPost: a.idempotent(a.createGroup)},
		"/v1/groups/{group_id}":                   {http.MethodGet: a.getGroup, http.MethodPatch: a.updateGroup, http.MethodDelete: a.deleteGroup},
		"/v1/webhooks":                            {http.MethodGet: a.listWebhooks},
		"/v1/webhooks/account":                    {http.MethodPost: a.idempotent(a.createAccountWebhook)},
		"/v1/webhooks/events":                     {http.MethodGet: a.getCatalog},
		"/v1/webhooks/{webhook_id}":               {http.MethodGet: a.getWebhook, http.MethodPatch: a.updateWebhook, http.MethodDelete: a.deleteWebhook},
		"/v1/webhooks/{webhook_id}/secret/rotate": {http.MethodPost: a.idempotent(a.rotateSecret)},
		// One pattern for /deliveries and /test: net/http cannot order
		// /v1/webhooks/{webhook_id}/deliveries against
		// /v1/webhooks/group/{group_id}, but it ranks the latter above a
		// wildcard action.
		patternWebhookActions:                        a.webhookActions(a.actions),
		"/v1/webhooks/{webhook_id}/deliveries/stats": {http.MethodGet: a.deliveryStats},
		"/v1/events":                          {http.MethodPost: a.idempotent(a.createEvent)},
		"/v1/events/{event_id}":               {http.MethodGet: a.getEvent},
		"/v1/deliveries/{delivery_id}":        {http.MethodGet: a.getDelivery},
		"/v1/deliveries/{delivery_id}/retry":  {http.MethodPost: a.idempotent(a.retryDelivery)},
		"/v1/deliveries/{delivery_id}/replay": {http.MethodPost: a.idempotent(a.replayDelivery)},
	} {
		if pattern != patternWebhookActions { // its actions check their own (above)
			m = withQuery(pattern, m)
		}
		authed.Handle(pattern, withPathIDs(pattern, m))
	}
	groupCreate := withPathIDs(patternGroupWebhooks, withQuery(patternGroupWebhooks, methods{http.MethodPost: a.idempotent(a.createGroupWebhook)}))
	// /v1/webhooks/group is no webhook (ids start with wh_): without a
	// route of its own, /v1/webhooks/{webhook_id} took it and answered 405,
	// or that "group" is not a webhook id.
	authed.HandleFunc("/v1/webhooks/group", groupIDMissing)
	authed.HandleFunc(patternGroupWebhooks, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			wrongMethodOnGroupCreate(w, r)
			return
		}
		groupCreate.ServeHTTP(w, r)
	})
	if a.cfg.Metrics != nil {
		authed.Handle("/metrics", methods{http.MethodGet: a.cfg.Metrics.ServeHTTP})
	} else {
		// hookd serves no metrics here only when --metrics-addr moved them.
		authed.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			noSuchEndpoint(w, r, "; this hookd serves its metrics on its --metrics-addr listener (GET /metrics there, without an API key), not on this one")
		})
	}
	authed.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { noSuchEndpoint(w, r, "") })

	root := http.NewServeMux()
	root.Handle("/v1/health", methods{http.MethodGet: a.health})
	// Probes of orchestrators and load balancers carry no API key.
	root.Handle("/healthz", methods{http.MethodGet: a.healthz})
	root.Handle("/readyz", methods{http.MethodGet: a.readyz})
	root.Handle("/", a.withAuth(a.withRateLimit(authed)))
	a.root, a.authed = root, authed
	return a.withRequestID(a.withMetrics(a.withLogging(withCanonicalPaths(root))))
}

// webhookActions routes /v1/webhooks/{webhook_id}/{action} by action.
func (a *API) webhookActions(actions map[string]methods) methods {
	route := func(w http.ResponseWriter, r *http.Request) {
		m, ok := actions[r.PathValue("action")]
		if !ok {
			noSuchEndpoint(w, r, "")
			return
		}
		m.ServeHTTP(w, r)
	}
	return methods{anyMethod: route}
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.cfg.Version})
}

func (a *API) getCatalog(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.catalog)
}

// now is the API's notion of the current time: UTC, microsecond precision
// (what clients can round-trip through RFC 3339 without surprises).
func (a *API) now() time.Time {
	return a.clock.Now().UTC().Truncate(time.Microsecond)
}
