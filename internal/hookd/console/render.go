package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// pageData is what every page template gets; Data is the page's own.
type pageData struct {
	Title   string
	Message string
	CSRF    string
	// Once is this page's one-time token, which its action forms send
	// (onceField) as their API call's Idempotency-Key.
	Once     string
	SignedIn bool
	Flash    *flash
	// Refresh, when set, makes the page reload itself, with a link that
	// stops it as the page's first control (each reload sends the keyboard
	// focus back to the top).
	Refresh *refresh
	Data    any
}

// refresh is a page's reload: every Seconds, to URL ("": the same page);
// Stop is the same page without the reload.
type refresh struct {
	Seconds   int
	URL, Stop string
}

// stopParam is the query parameter (stopParam=off) of a self-refreshing
// page that renders it without the reload: someone reading it, or using
// the keyboard or a screen reader, does not want it reloaded under them.
const stopParam = "refresh"

// refreshStopped reports whether the page was asked without its reload.
func refreshStopped(r *http.Request) bool { return r.URL.Query().Get(stopParam) == "off" }

// withoutRefresh is page (a path with or without a query) asking for no
// reload.
func withoutRefresh(page string) string {
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + stopParam + "=off"
}

var funcs = template.FuncMap{
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05Z")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		}
		return ""
	},
	"str": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"join": strings.Join,
}

// parsePages parses each page with the layout: one template set per page,
// so that every page defines its own "content".
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes one page; sess (nil on the sign-in page) gives the CSRF
// token and the flash message of the previous action.
func (c *Console) render(w http.ResponseWriter, status int, page string, sess *session, d pageData) {
	if sess != nil {
		d.CSRF, d.SignedIn, d.Once = sess.csrf, true, randomToken()
		if d.Flash == nil && sess.takeFlash != nil {
			d.Flash = sess.takeFlash()
		}
	}
	var buf bytes.Buffer
	if err := c.pages[page].Execute(&buf, d); err != nil {
		c.log.Error("console: render page", "page", page, "error", err)
		http.Error(w, "the console failed to render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail shows an API error as the API gave it. A key the API no longer
// accepts ends the session.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	var p *apiProblem
	if errors.As(err, &p) {
		if p.Status == http.StatusUnauthorized {
			if err := c.sessions.remove(r.Context(), sess); err != nil {
				c.log.Error("console: end session", "error", err)
			}
			http.SetCookie(w, c.cookie(r, sessionCookie, "", -time.Second))
			c.render(w, notSignedIn, "error", nil, pageData{Title: "Signed out", Message: "The API key of this session is no longer accepted: " + p.Error()})
			return
		}
		c.render(w, p.Status, "error", sess, pageData{Title: p.Title, Message: p.Error()})
		return
	}
	c.log.Error("console: API call", "path", r.URL.Path, "error", err)
	c.render(w, http.StatusInternalServerError, "error", sess, pageData{Title: "Error", Message: "The console failed; see hookd's log."})
}

// done records an action's outcome for the next page and redirects there
// (post/redirect/get, so a reload does not send the action again).
func (c *Console) done(w http.ResponseWriter, r *http.Request, sess *session, to string, err error, okMessage string) {
	f := flash{OK: err == nil, Message: okMessage}
	if err != nil {
		var p *apiProblem
		if errors.As(err, &p) && p.Status == http.StatusUnauthorized {
			c.fail(w, r, sess, err)
			return
		}
		f.Message = err.Error()
		var fe formError
		switch {
		case errors.As(err, &p) && p.Code == codeInFlight:
			// The same form sent twice while its first send still runs.
			f.Message = "This was already sent and is still running; its outcome shows here once it ends (reload in a moment)."
		case errors.As(err, &p) && p.Code == codeKeyReused:
			// The same page's form sent again with other values (Back,
			// another choice, send): its one-time token, the API's
			// Idempotency-Key, is spent. No key is the person's to change.
			f.Message = formReused
		case errors.As(err, &fe):
		case !errors.As(err, &p):
			c.log.Error("console: action", "path", r.URL.Path, "error", err)
			f.Message = "The console failed; see hookd's log."
		}
	}
	c.setFlash(r, sess, f)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// formReused says that a page's form was sent again with other values
// than its first send: its one-time token is spent.
const formReused = "This form was already sent once, with other values; reload the page, choose again and send it. Nothing was changed."

// setFlash passes f to the session's next page. A flash the store could
// not keep is logged: the action itself is done.
func (c *Console) setFlash(r *http.Request, sess *session, f flash) {
	if err := c.sessions.setFlash(r.Context(), sess, f); err != nil {
		c.log.Error("console: keep an action's outcome", "path", r.URL.Path, "error", err)
	}
}
