package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
	maxCursorLength  = 512
)

type listJSON[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
	// Total is the number of items over every page, when asked for
	// (include_total=true on the deliveries' list).
	Total *int `json:"total,omitempty"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pageFromQuery reads cursor and limit.
func pageFromQuery(r *http.Request) (store.Page, *problem) {
	q := r.URL.Query()
	page := store.Page{Cursor: q.Get("cursor"), Limit: defaultPageLimit}
	var errs fieldErrors
	if len(page.Cursor) > maxCursorLength {
		errs.add("#/cursor", "is not a cursor this server issued; start again without it")
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageLimit {
			errs.add("#/limit", "must be an integer from 1 to %d, got %q", maxPageLimit, s)
		}
		page.Limit = n
	}
	return page, errs.problem()
}

func (a *API) listError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, store.ErrInvalidCursor) {
		writeProblem(w, r, invalidField("#/cursor", "is not a cursor this server issued; start again without it"))
		return
	}
	a.internalError(w, r, what, err)
}
