package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// notSignedIn is the status of a page refused for want of a session or a
// valid key. The console signs in with a form, not with HTTP
// authentication: a 401 must name a WWW-Authenticate challenge (RFC 9110,
// section 15.5.2) that a browser could answer, and there is none, so the
// console answers 403 with the page that says to sign in.
const notSignedIn = http.StatusForbidden

const (
	sessionCookie = "hookd_console"
	// signInCookie carries the nonce the sign-in form's token is made
	// from, before there is a session to bind a token to.
	signInCookie = "hookd_console_signin"
	csrfField    = "csrf"
)

// session is one signed-in browser, as stored (Store): every process
// sharing the database finds it, and a sign-out on one ends it on all. It
// holds the hash of the API key it signed in with, never the key; the
// store holds the hash of its id, never the id.
type session struct {
	id        string // the cookie's value
	keyHash   string
	csrf      string
	idleUntil time.Time
	// takeFlash, set when the session has a flash, takes it (from every
	// process: of two pages at once, one shows it) for the page rendered.
	takeFlash func() *flash
}

// flash is the outcome of an action, shown on the page it redirects to.
type flash struct {
	OK      bool
	Message string
}

// sessions are the console's sessions, kept in the store.
type sessions struct {
	store        Store
	clock        clockwork.Clock
	idle, maxAge time.Duration
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// hashID is what the store knows a session by: the SHA-256 of its id. The
// id is 256 random bits, so nothing slower is needed, and a copy of the
// database gives no cookie that signs in.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create starts a session for the key with this hash (and deletes the
// sessions that have ended).
func (s *sessions) create(ctx context.Context, keyHash string) (*session, error) {
	now := s.clock.Now()
	sess := &session{id: randomToken(), keyHash: keyHash, csrf: randomToken(), idleUntil: now.Add(s.idle)}
	err := s.store.CreateConsoleSession(ctx, &store.ConsoleSession{
		IDHash: hashID(sess.id), KeyHash: keyHash, CSRF: sess.csrf, CreatedAt: now, IdleUntil: sess.idleUntil, ExpiresAt: now.Add(s.maxAge),
	}, now)
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// touchEvery is how far a session's idle end may lag behind its last use:
// a page moves it on when it is more than that behind, not at every page,
// so that browsing writes to the database about once a minute. A session
// then ends idle up to that much sooner than a full idle time after its
// last page.
func (s *sessions) touchEvery() time.Duration { return min(s.idle/30, time.Minute) }

// get returns the live session with this id, nil when there is none (or
// it has ended: it is deleted then), and marks it used.
func (s *sessions) get(ctx context.Context, id string) (*session, error) {
	stored, err := s.store.GetConsoleSession(ctx, hashID(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if !now.Before(stored.IdleUntil) || !now.Before(stored.ExpiresAt) {
		return nil, s.store.DeleteConsoleSession(ctx, stored.IDHash)
	}
	sess := &session{id: id, keyHash: stored.KeyHash, csrf: stored.CSRF, idleUntil: stored.IdleUntil}
	if until := now.Add(s.idle); until.Sub(sess.idleUntil) >= s.touchEvery() {
		if err := s.store.TouchConsoleSession(ctx, stored.IDHash, until); err != nil {
			return nil, err
		}
		sess.idleUntil = until
	}
	if stored.Flash != nil {
		sess.takeFlash = func() *flash {
			f, err := s.store.TakeConsoleFlash(ctx, stored.IDHash)
			if err != nil || f == nil {
				return nil // shown by a later page, or by none: it is only a notice
			}
			return &flash{OK: f.OK, Message: f.Message}
		}
	}
	return sess, nil
}

// remove ends the session, on every process.
func (s *sessions) remove(ctx context.Context, sess *session) error {
	return s.store.DeleteConsoleSession(ctx, hashID(sess.id))
}

// setFlash passes an action's outcome to the session's next page,
// whichever process serves it.
func (s *sessions) setFlash(ctx context.Context, sess *session, f flash) error {
	return s.store.SetConsoleFlash(ctx, hashID(sess.id), store.ConsoleFlash{OK: f.OK, Message: f.Message})
}

// validCSRF compares the form's token with the session's in constant time.
func (sess *session) validCSRF(r *http.Request) bool {
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// signInToken binds the sign-in form to the nonce in the browser's
// signInCookie (a signed double submit): another site can neither read
// the cookie nor compute the token. The key is the console's, in the
// database (Store.ConsoleKey), so that a form one process served signs
// in on another.
func (c *Console) signInToken(nonce string) string {
	m := hmac.New(sha256.New, c.signKey)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *Console) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/console/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: overHTTPS(r), SameSite: http.SameSiteStrictMode,
	}
}

// overHTTPS reports whether the browser reached the console over HTTPS:
// to hookd itself (r.TLS), or to a proxy in front of it that terminates
// TLS and says so, in the first value of X-Forwarded-Proto or in the first
// element of RFC 7239 Forwarded (each proxy appends its own: the first is
// the one the browser talked to). hookd has no TLS listener of its own, so
// behind such a proxy, which the README recommends, this is the only way
// the session cookie gets Secure.
//
// The headers are believed from anyone, with no list of trusted proxies:
// all they can do is add Secure to the cookie of the response to the very
// request that carried them. A client that spoofs "https" over plain http
// only gets a cookie its own browser never sends back over http, which
// harms nobody but the spoofer; a proxy that strips or rewrites them only
// loses Secure, as without this function.
func overHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if proto, ok := firstValue(r.Header.Get("X-Forwarded-Proto")); ok {
		return strings.EqualFold(proto, "https")
	}
	first, _ := firstValue(r.Header.Get("Forwarded"))
	for pair := range strings.SplitSeq(first, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if strings.EqualFold(k, "proto") {
			return strings.EqualFold(strings.Trim(v, `"`), "https")
		}
	}
	return false
}

// firstValue is the first element of a comma-separated header value.
func firstValue(h string) (string, bool) {
	v, _, _ := strings.Cut(h, ",")
	v = strings.TrimSpace(v)
	return v, v != ""
}

// signedIn runs h with the request's session, or sends the browser to the
// sign-in page; on a POST it also requires the session's CSRF token.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var sess *session
		if ck, err := r.Cookie(sessionCookie); err == nil {
			if sess, err = c.sessions.get(r.Context(), ck.Value); err != nil {
				c.log.Error("console: read session", "error", err)
				c.render(w, http.StatusInternalServerError, "error", nil, pageData{Title: "Error", Message: "The console could not read its session; see hookd's log. Nothing was changed."})
				return
			}
		}
		if sess == nil {
			if r.Method != http.MethodGet {
				c.render(w, notSignedIn, "error", nil, pageData{Title: "Signed out", Message: "Your session ended; sign in again. Nothing was changed."})
				return
			}
			// Back to this page once signed in.
			http.Redirect(w, r, "/console/sign-in?"+url.Values{nextField: {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !sess.validCSRF(r) {
			c.render(w, http.StatusForbidden, "error", sess, pageData{Title: "Forbidden", Message: "The form's security token is missing or stale; reload the page and try again. Nothing was changed."})
			return
		}
		h(w, r, sess)
	}
}

func hmacEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
