package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type eventCreateRequest struct {
	ID      *string         `json:"id"`
	Type    *string         `json:"type"`
	GroupID *string         `json:"group_id"`
	Data    json.RawMessage `json:"data"`
}

type eventAcceptedJSON struct {
	EventID    string `json:"event_id"`
	Deliveries int    `json:"deliveries"`
}

var eventIDPattern = regexp.MustCompile(`^evt_[A-Za-z0-9_-]{1,64}$`)

// eventIDShape is the shape of an event id in a path: what POST
// /v1/events accepts as a client-given id, which hookd's own ids are too.
type eventIDShape struct{}

func (eventIDShape) Problem(s string) string {
	if eventIDPattern.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("must be an event id such as evt_0123456789abcdefghij (\"evt_\" then 1 to 64 letters, digits, \"_\" or \"-\"), got %q", s)
}

func (a *API) createEvent(w http.ResponseWriter, r *http.Request) {
	body, p := readBody(w, r, false)
	if p == nil && len(body) == 0 {
		p = badRequest("the request body is empty; send a JSON object")
	}
	var req eventCreateRequest
	if p == nil {
		p = decodeStrict(body, &req)
	}
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	if req.ID != nil && !eventIDPattern.MatchString(*req.ID) {
		errs.add("/id", "must be \"evt_\" followed by 1 to 64 letters, digits, \"_\" or \"-\"")
	}
	if req.Type == nil {
		errs.add("/type", "is required")
	} else if _, ok := a.cfg.Catalog.Lookup(*req.Type); !ok {
		detail := "is not an event type of the catalog"
		if s := a.cfg.Catalog.Suggest(*req.Type); s != "" {
			detail += " (did you mean \"" + s + "\"?)"
		}
		errs.add("/type", "%q %s", *req.Type, detail)
	} else if len(req.Data) == 0 || string(req.Data) == "null" {
		errs.add("/data", "is required: a JSON object valid against the schema of %q", *req.Type)
	} else {
		for _, v := range a.cfg.Catalog.ValidateData(*req.Type, req.Data) {
			errs.add("/data"+v.Pointer, "%s", v.Detail)
		}
	}
	groupID := ""
	if req.GroupID != nil {
		groupID = *req.GroupID
		if groupID == "" {
			errs.add("/group_id", "must not be empty; omit it for an event of no group")
		} else if detail := rules.GroupID.Problem(groupID); detail != "" {
			errs.add("/group_id", "%s", detail)
		}
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	if groupID != "" {
		if _, err := a.cfg.Store.GetGroup(r.Context(), groupID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				writeProblem(w, r, unknownGroup("/group_id", groupID))
				return
			}
			a.internalError(w, r, "read the group", err)
			return
		}
	}
	sum := sha256.Sum256(body)
	ne := delivery.NewEvent{Type: *req.Type, GroupID: groupID, Data: req.Data, Fingerprint: hex.EncodeToString(sum[:])}
	if req.ID != nil {
		ne.ID = *req.ID
	}
	// The answer commits with the event and its deliveries: a retry with
	// the same key after a crash replays it instead of publishing a second
	// event under a new id, which receivers could not tell from the first.
	ctx, answer := withObject(r, http.StatusAccepted, func(p store.Published) any {
		return eventAcceptedJSON{EventID: p.EventID, Deliveries: p.Deliveries}
	})
	pub, err := a.cfg.Engine.Publish(ctx, ne)
	if a.claimLost(w, r, err) {
		return
	}
	if errors.Is(err, delivery.ErrEventConflict) {
		writeProblem(w, r, newProblem(http.StatusConflict, codeConflict, "event %q was already published with different content; use a new id for a new event", ne.ID))
		return
	}
	if err != nil {
		a.internalError(w, r, "publish the event", err)
		return
	}
	if pub.Replayed {
		// The event id's own replay: nothing was written, and the outcome
		// is stored after the call, as any other.
		w.Header().Set(headerIdempotentReplayed, "true")
		writeJSON(w, http.StatusAccepted, eventAcceptedJSON{EventID: pub.EventID, Deliveries: pub.Deliveries})
		return
	}
	answer(w, store.Published{EventID: pub.EventID, Deliveries: pub.Deliveries})
}

// getEvent answers an event as it was published: the body every delivery
// of it sends (id, type, created_at, group_id, data), byte for byte. Any
// key may read any event, as any key may read any delivery: a server's
// keys all act for its one account.
func (a *API) getEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("event_id")
	ev, err := a.cfg.Store.GetEvent(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, notFound("event %q not found; an event is deleted with its last delivery, once that is past the retention period", id))
		return
	}
	if err != nil {
		a.internalError(w, r, "read the event", err)
		return
	}
	if !json.Valid(ev.Body) {
		a.internalError(w, r, "read the event", fmt.Errorf("event %s: the stored body is not JSON", id))
		return
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ev.Body)
}
