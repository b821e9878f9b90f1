package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
)

func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	nonce := randomToken()
	http.SetCookie(w, c.cookie(r, signInCookie, nonce, 15*time.Minute))
	c.render(w, http.StatusOK, "signin", nil, pageData{Title: "Sign in", CSRF: c.signInToken(nonce), Data: returnTo(r.URL.Query().Get(nextField))})
}

// nextField is the sign-in page's parameter (and form field) naming the
// console page to go back to once signed in: the page a signed-out
// browser asked for, such as a delivery linked from an alert.
const nextField = "next"

// returnTo is where a sign-in goes on to: next when it is a page of the
// console (a path under Prefix, with no "//", "\\" or dot segment, so that
// it can lead nowhere else), the webhooks otherwise.
func returnTo(next string) string {
	const home = Prefix + "webhooks"
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, Prefix) ||
		strings.ContainsAny(next, "\\\r\n") || strings.Contains(u.Path, "//") || !httpapi.CanonicalPath(u.Path) ||
		strings.HasPrefix(u.Path, Prefix+"sign-") {
		return home
	}
	return u.RequestURI()
}

// signIn checks the key exactly as the API does (httpapi.CheckAPIKey) and
// starts a session holding the key's hash. The key itself is never stored,
// logged or written into a page.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(signInCookie)
	token := r.PostFormValue(csrfField)
	if err != nil || token == "" || !hmacEqual(token, c.signInToken(ck.Value)) {
		c.render(w, http.StatusForbidden, "error", nil, pageData{Title: "Forbidden", Message: "The sign-in form's security token is missing or stale; open the sign-in page again."})
		return
	}
	hash, ok, wait, err := c.cfg.API.CheckAPIKey(r, r.PostFormValue("api_key"))
	if wait > 0 {
		secs := httpapi.RetryAfterSeconds(wait) // as the API says it
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		c.render(w, http.StatusTooManyRequests, "error", nil, pageData{Title: "Too many attempts",
			Message: fmt.Sprintf("Too many sign-ins with a wrong API key from this address; try again in %ds.", secs)})
		return
	}
	if err != nil {
		c.log.Error("console: check api key", "error", err)
		c.render(w, http.StatusInternalServerError, "error", nil, pageData{Title: "Error", Message: "The console could not check the key; see hookd's log."})
		return
	}
	if !ok {
		c.log.Info("console: sign-in refused", "remote_addr", r.RemoteAddr)
		nonce := randomToken()
		http.SetCookie(w, c.cookie(r, signInCookie, nonce, 15*time.Minute))
		c.render(w, notSignedIn, "signin", nil, pageData{Title: "Sign in", CSRF: c.signInToken(nonce),
			Flash: &flash{Message: "That API key is not valid for this server."}, Data: returnTo(r.PostFormValue(nextField))})
		return
	}
	sess, err := c.sessions.create(r.Context(), hash)
	if err != nil {
		c.log.Error("console: start session", "error", err)
		c.render(w, http.StatusInternalServerError, "error", nil, pageData{Title: "Error", Message: "The console could not start a session; see hookd's log."})
		return
	}
	c.log.Info("console: signed in", "remote_addr", r.RemoteAddr)
	http.SetCookie(w, c.cookie(r, signInCookie, "", -time.Second))
	// No MaxAge: a browser session cookie; the server ends it earlier when idle.
	ck2 := c.cookie(r, sessionCookie, sess.id, 0)
	http.SetCookie(w, ck2)
	http.Redirect(w, r, returnTo(r.PostFormValue(nextField)), http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := c.sessions.remove(r.Context(), sess); err != nil {
		// Still signed in elsewhere, were the cookie copied: say so.
		c.log.Error("console: sign out", "error", err)
		c.render(w, http.StatusInternalServerError, "error", sess, pageData{Title: "Error", Message: "The console could not end the session; see hookd's log, and sign out again."})
		return
	}
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -time.Second))
	http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
}
