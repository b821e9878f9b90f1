package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type groupJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func groupToJSON(g *store.Group) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, Description: g.Description, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

type groupCreateRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

type groupUpdateRequest struct {
	Name        Optional[string] `json:"name"`
	Description Optional[string] `json:"description"`
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request) {
	var req groupCreateRequest
	if p := decodeBody(w, r, &req, false, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	if req.Name == nil {
		errs.add("/name", "is required")
	} else if detail := rules.RequiredTextProblem(*req.Name, rules.MaxNameLength, rules.OneLine); detail != "" {
		errs.add("/name", "%s", detail)
	}
	if req.Description != nil {
		errs.checkText("/description", *req.Description, rules.MaxDescriptionLength, rules.MultiLine)
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	now := a.now()
	g := &store.Group{ID: ids.New("grp_"), Name: *req.Name, Description: req.Description, CreatedAt: now, UpdatedAt: now}
	err := a.created(w, r, "/v1/groups/"+g.ID, groupToJSON(g), func(ctx context.Context) error {
		return a.cfg.Store.CreateGroup(ctx, g)
	})
	if err != nil {
		a.groupError(w, r, g.Name, "create the group", err)
	}
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) {
	g, err := a.cfg.Store.GetGroup(r.Context(), r.PathValue("group_id"))
	if err != nil {
		a.groupError(w, r, "", "read the group", err)
		return
	}
	writeJSON(w, http.StatusOK, groupToJSON(g))
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) {
	page, p := pageFromQuery(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	filter := store.GroupFilter{NamePrefix: r.URL.Query().Get("name_prefix")}
	// A prefix follows a name's rule (PostgreSQL could not even compare a
	// NUL); empty is no filter.
	if detail := rules.TextProblem(filter.NamePrefix, rules.MaxNameLength, rules.OneLine); filter.NamePrefix != "" && detail != "" {
		writeProblem(w, r, invalidField("#/name_prefix", "%s", detail))
		return
	}
	groups, next, err := a.cfg.Store.ListGroups(r.Context(), filter, page)
	if err != nil {
		a.listError(w, r, "list groups", err)
		return
	}
	data := make([]groupJSON, len(groups))
	for i := range groups {
		data[i] = groupToJSON(&groups[i])
	}
	writeJSON(w, http.StatusOK, listJSON[groupJSON]{Data: data, NextCursor: nullable(next)})
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request) {
	var req groupUpdateRequest
	if p := decodeBody(w, r, &req, true, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	if req.Name.Set {
		if req.Name.Null {
			errs.add("/name", "cannot be null: a group always has a name")
		} else if detail := rules.RequiredTextProblem(req.Name.Value, rules.MaxNameLength, rules.OneLine); detail != "" {
			errs.add("/name", "%s", detail)
		}
	}
	if req.Description.Set && !req.Description.Null {
		errs.checkText("/description", req.Description.Value, rules.MaxDescriptionLength, rules.MultiLine)
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	now := a.now()
	g, err := a.cfg.Store.UpdateGroup(r.Context(), r.PathValue("group_id"), func(g *store.Group) error {
		if req.Name.Set {
			g.Name = req.Name.Value
		}
		if req.Description.Set {
			g.Description = optionalPtr(req.Description)
		}
		g.UpdatedAt = now
		return nil
	})
	if err != nil {
		a.groupError(w, r, req.Name.Value, "update the group", err)
		return
	}
	writeJSON(w, http.StatusOK, groupToJSON(g))
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.Store.DeleteGroup(r.Context(), r.PathValue("group_id")); err != nil {
		a.groupError(w, r, "", "delete the group", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) groupError(w http.ResponseWriter, r *http.Request, name, what string, err error) {
	id := r.PathValue("group_id")
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, notFound("group %q not found", id))
	case errors.Is(err, store.ErrNameTaken):
		writeProblem(w, r, newProblem(http.StatusConflict, codeConflict, "a group named %q already exists; group names are unique", name))
	case errors.Is(err, store.ErrGroupNotEmpty):
		writeProblem(w, r, newProblem(http.StatusConflict, codeGroupNotEmpty, "group %q still has webhooks; delete them first", id))
	default:
		a.internalError(w, r, what, err)
	}
}

// optionalPtr turns a merge-patch member into the stored nullable value.
func optionalPtr[T any](o Optional[T]) *T {
	if o.Null {
		return nil
	}
	v := o.Value
	return &v
}
