// Package console is hookd's web console: server-rendered pages under
// /console/ that show webhooks and their deliveries and retry, replay,
// recover and test them. Every read and change goes through the Hooks API
// in-process (httpapi.API.ServeSession), so the console applies the API's
// validation, errors, rate limits and log lines, never rules of its own.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is where the console keeps what every hookd process sharing the
// database must see alike, so that behind a load balancer any of them
// answers any page: its sessions, the key of its sign-in form and its
// recoveries' progress. store.DB is one.
type Store interface {
	CreateConsoleSession(ctx context.Context, s *store.ConsoleSession, now time.Time) error
	GetConsoleSession(ctx context.Context, idHash string) (*store.ConsoleSession, error)
	TouchConsoleSession(ctx context.Context, idHash string, idleUntil time.Time) error
	DeleteConsoleSession(ctx context.Context, idHash string) error
	SetConsoleFlash(ctx context.Context, idHash string, f store.ConsoleFlash) error
	TakeConsoleFlash(ctx context.Context, idHash string) (*store.ConsoleFlash, error)
	ConsoleKey(ctx context.Context, name string, fresh []byte) ([]byte, error)
	StartConsoleRecovery(ctx context.Context, r *store.ConsoleRecovery) (*store.ConsoleRecovery, bool, error)
	GetConsoleRecovery(ctx context.Context, id string) (*store.ConsoleRecovery, error)
	SaveConsoleRecovery(ctx context.Context, r *store.ConsoleRecovery) error
	StopStaleConsoleRecovery(ctx context.Context, id string, staleBefore, now time.Time, reason string) (bool, error)
}

var _ Store = (*store.DB)(nil)

// Config wires the console to the API it drives and the store it keeps
// its own state in.
type Config struct {
	API    *httpapi.API
	Store  Store
	Clock  clockwork.Clock // nil: the real clock
	Logger *slog.Logger    // nil: discard
	// IdleTimeout ends a session not used for this long (default 30 min).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in whatever its use
	// (default 12 h).
	MaxAge time.Duration
}

// Console is the console's http.Handler, mounted at Prefix.
type Console struct {
	cfg      Config
	clock    clockwork.Clock
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	signKey  []byte // signs the sign-in form's token; every process's (Store.ConsoleKey)
	// instance names this console among the processes sharing the store:
	// the owner of the recoveries it runs.
	instance string

	jobsMu sync.Mutex
	jobs   map[string]*recoverJob // the recoveries running here, by id
	ctx    context.Context        // ends at Close: stops running recoveries
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// signInKeyName is the console key (Store.ConsoleKey) that signs the
// sign-in form's token.
const signInKeyName = "sign_in"

// New builds the console.
func New(cfg Config) (*Console, error) {
	c := &Console{cfg: cfg, clock: cfg.Clock, log: cfg.Logger, jobs: map[string]*recoverJob{}}
	if c.clock == nil {
		c.clock = clockwork.NewRealClock()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.cfg.IdleTimeout <= 0 {
		c.cfg.IdleTimeout = 30 * time.Minute
	}
	if c.cfg.MaxAge <= 0 {
		c.cfg.MaxAge = 12 * time.Hour
	}
	if cfg.Store == nil {
		return nil, errors.New("console: no store")
	}
	c.sessions = &sessions{store: cfg.Store, clock: c.clock, idle: c.cfg.IdleTimeout, maxAge: c.cfg.MaxAge}
	c.instance = randomToken()[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := cfg.Store.ConsoleKey(ctx, signInKeyName, randomBytes(32))
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.signKey = key
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mux = c.routes()
	return c, nil
}

// Close stops recoveries still running and waits for them.
func (c *Console) Close() {
	c.cancel()
	c.wg.Wait()
}

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/sign-in", c.signInForm)
	mux.HandleFunc("POST /console/sign-in", c.signIn)
	mux.HandleFunc("POST /console/sign-out", c.signedIn(c.signOut))
	mux.HandleFunc("GET /console/{$}", c.signedIn(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/console/webhooks", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /console/webhooks", c.signedIn(c.webhooksPage))
	mux.HandleFunc("POST /console/webhooks/{webhook_id}/enable", c.signedIn(c.enableWebhook))
	mux.HandleFunc("GET /console/webhooks/{webhook_id}", c.signedIn(c.deliveriesPage))
	mux.HandleFunc("POST /console/webhooks/{webhook_id}/test", c.signedIn(c.testWebhook))
	mux.HandleFunc("GET /console/webhooks/{webhook_id}/recover", c.signedIn(c.recoverConfirm))
	mux.HandleFunc("POST /console/webhooks/{webhook_id}/recover", c.signedIn(c.recoverStart))
	mux.HandleFunc("GET /console/recoveries/{job_id}", c.signedIn(c.recoverProgress))
	mux.HandleFunc("GET /console/deliveries/{delivery_id}", c.signedIn(c.deliveryPage))
	mux.HandleFunc("POST /console/deliveries/{delivery_id}/retry", c.signedIn(c.retryDelivery))
	mux.HandleFunc("POST /console/deliveries/{delivery_id}/replay", c.signedIn(c.replayDelivery))
	mux.HandleFunc("GET /console/catalog", c.signedIn(c.catalogPage))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, http.StatusNotFound, "error", nil, pageData{Title: "Not found", Message: "There is no console page at " + r.URL.Path + "."})
	})
	return mux
}

// contentSecurityPolicy allows the console's own stylesheet and nothing
// else: no script at all, no inline style, no frames, forms only to us.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with our own forms, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	start := c.clock.Now()
	rec := &statusWriter{ResponseWriter: w}
	// One line per page, like the API's: the API calls a page makes log
	// their own lines. Never the query or the form: the sign-in form holds
	// the key.
	defer func() {
		c.log.Info("console request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", c.clock.Since(start).Milliseconds())
	}()
	if r.Method == http.MethodPost && !sameOrigin(r) {
		c.render(rec, http.StatusForbidden, "error", nil, pageData{Title: "Forbidden", Message: "This form was sent from another site; open the console and try again."})
		return
	}
	c.mux.ServeHTTP(rec, r)
}

// statusWriter remembers the status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// sameOrigin refuses a POST whose Origin (sent by every current browser on
// a POST) names another host; requests without one (older browsers, tools)
// are left to the CSRF token. Only the host is compared, so that a proxy
// terminating TLS in front of hookd does not break the console.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
