package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
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

// session is one signed-in browser. It holds the hash of the API key it
// signed in with, never the key.
type session struct {
	id        string
	keyHash   string
	csrf      string
	createdAt time.Time
	lastSeen  time.Time
	flash     *flash // shown once by the next page
}

// flash is the outcome of an action, shown on the page it redirects to.
type flash struct {
	OK      bool
	Message string
}

// sessions is the in-memory session store, keyed by a random id: a
// restart signs everyone out, which is acceptable for an operator console.
type sessions struct {
	mu           sync.Mutex
	byID         map[string]*session
	clock        clockwork.Clock
	idle, maxAge time.Duration
}

func newSessions(clock clockwork.Clock, idle, maxAge time.Duration) *sessions {
	return &sessions{byID: map[string]*session{}, clock: clock, idle: idle, maxAge: maxAge}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// create starts a session for the key with this hash.
func (s *sessions) create(keyHash string) *session {
	now := s.clock.Now()
	sess := &session{id: randomToken(), keyHash: keyHash, csrf: randomToken(), createdAt: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	s.byID[sess.id] = sess
	return sess
}

// get returns the live session with this id and marks it used; an expired
// one is removed.
func (s *sessions) get(id string) (*session, bool) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	if s.expired(sess, now) {
		delete(s.byID, id)
		return nil, false
	}
	sess.lastSeen = now
	return sess, true
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return now.Sub(sess.lastSeen) >= s.idle || now.Sub(sess.createdAt) >= s.maxAge
}

// sweep drops expired sessions (called with mu held, on each sign-in, so
// the map stays as small as the number of people signed in).
func (s *sessions) sweep(now time.Time) {
	for id, sess := range s.byID {
		if s.expired(sess, now) {
			delete(s.byID, id)
		}
	}
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// setFlash and takeFlash pass an action's outcome to the next page.
func (s *sessions) setFlash(sess *session, f flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.flash = &f
}

func (s *sessions) takeFlash(sess *session) *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := sess.flash
	sess.flash = nil
	return f
}

// validCSRF compares the form's token with the session's in constant time.
func (sess *session) validCSRF(r *http.Request) bool {
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// signInToken binds the sign-in form to the nonce in the browser's
// signInCookie (a signed double submit): another site can neither read
// the cookie nor compute the token.
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
			sess, _ = c.sessions.get(ck.Value)
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
