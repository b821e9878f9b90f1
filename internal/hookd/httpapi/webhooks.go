package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type webhookJSON struct {
	ID                        string            `json:"id"`
	Scope                     store.Scope       `json:"scope"`
	GroupID                   *string           `json:"group_id"`
	Name                      *string           `json:"name"`
	Description               *string           `json:"description"`
	URL                       string            `json:"url"`
	Events                    []string          `json:"events"`
	Active                    bool              `json:"active"`
	Status                    string            `json:"status"`
	DisabledReason            *string           `json:"disabled_reason"`
	Headers                   map[string]string `json:"headers"`
	AuthTokenSet              bool              `json:"auth_token_set"`
	AuthTokenFingerprint      *string           `json:"auth_token_fingerprint"`
	SecretVersion             int               `json:"secret_version"`
	SecretRotatedAt           *time.Time        `json:"secret_rotated_at"`
	PreviousSecretExpiresAt   *time.Time        `json:"previous_secret_expires_at"`
	SecretFingerprint         string            `json:"secret_fingerprint"`
	PreviousSecretFingerprint *string           `json:"previous_secret_fingerprint"`
	SignatureScheme           string            `json:"signature_scheme"`
	PublicKey                 *string           `json:"public_key"`
	PreviousPublicKey         *string           `json:"previous_public_key"`
	CreatedAt                 time.Time         `json:"created_at"`
	UpdatedAt                 time.Time         `json:"updated_at"`
}

// webhookWithSecretJSON is the create response: the only read of the secret.
type webhookWithSecretJSON struct {
	webhookJSON
	Secret string `json:"secret"`
}

// webhookToJSON maps a stored webhook to the API. An expired grace window
// reads as null: the previous secret no longer verifies. Secrets and the
// auth token show as their fingerprints only.
func webhookToJSON(wh *store.Webhook, now time.Time) webhookJSON {
	out := webhookJSON{
		ID: wh.ID, Scope: wh.Scope, GroupID: nullable(wh.GroupID), Name: wh.Name, Description: wh.Description,
		URL: wh.URL, Events: wh.Events, Active: wh.Active, Status: wh.Status, DisabledReason: wh.DisabledReason,
		Headers: wh.Headers, AuthTokenSet: wh.AuthToken != "", AuthTokenFingerprint: nullable(rules.Fingerprint(wh.AuthToken)),
		SecretVersion: wh.SecretVersion, SecretRotatedAt: wh.SecretRotatedAt, SecretFingerprint: rules.Fingerprint(wh.Secret),
		CreatedAt: wh.CreatedAt, UpdatedAt: wh.UpdatedAt,
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	out.PreviousSecretExpiresAt, out.PreviousSecretFingerprint = previousSecret(wh, now)
	out.SignatureScheme, out.PublicKey, out.PreviousPublicKey = publicKeys(wh, now)
	return out
}

type webhookCreateRequest struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	URL         *string            `json:"url"`
	Events      []string           `json:"events"`
	Active      *bool              `json:"active"`
	Headers     map[string]*string `json:"headers"`
	AuthToken   *string            `json:"auth_token"`
	Secret      *string            `json:"secret"`
	Scheme      *string            `json:"signature_scheme"`
}

type webhookUpdateRequest struct {
	Name        Optional[string]             `json:"name"`
	Description Optional[string]             `json:"description"`
	URL         Optional[string]             `json:"url"`
	Events      Optional[[]string]           `json:"events"`
	Active      Optional[bool]               `json:"active"`
	Headers     Optional[map[string]*string] `json:"headers"`
	AuthToken   Optional[string]             `json:"auth_token"`
	Status      Optional[string]             `json:"status"`
	Scheme      Optional[string]             `json:"signature_scheme"`
}

func (a *API) createAccountWebhook(w http.ResponseWriter, r *http.Request) {
	a.createWebhook(w, r, store.ScopeAccount, "")
}

func (a *API) createGroupWebhook(w http.ResponseWriter, r *http.Request) {
	a.createWebhook(w, r, store.ScopeGroup, r.PathValue("group_id"))
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, scope store.Scope, groupID string) {
	var req webhookCreateRequest
	if p := decodeBody(w, r, &req, false, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	if req.Name != nil {
		errs.checkText("/name", *req.Name, rules.MaxNameLength, rules.OneLine)
	}
	if req.Description != nil {
		errs.checkText("/description", *req.Description, rules.MaxDescriptionLength, rules.MultiLine)
	}
	if req.URL == nil {
		errs.add("/url", "is required")
	} else {
		errs.checkURL("/url", *req.URL, a.cfg.AllowPrivateDestinations)
	}
	events := errs.normalizeEvents("/events", req.Events, a.cfg.Catalog)
	headers := errs.createHeaders("/headers", req.Headers)
	if req.AuthToken != nil {
		errs.checkText("/auth_token", *req.AuthToken, rules.MaxAuthTokenLength, rules.BearerToken)
	}
	secret := errs.signingSecret("/secret", req.Secret)
	scheme := rules.DefaultScheme
	if req.Scheme != nil {
		scheme = *req.Scheme
		errs.checkScheme("/signature_scheme", scheme)
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}

	now := a.now()
	wh := &store.Webhook{
		ID: ids.New("wh_"), Scope: scope, GroupID: groupID, Name: req.Name, Description: req.Description,
		URL: *req.URL, Events: events, Active: req.Active == nil || *req.Active, Headers: headers,
		Secret: secret, SecretVersion: 1, CreatedAt: now, UpdatedAt: now,
	}
	if req.AuthToken != nil {
		wh.AuthToken = *req.AuthToken
	}
	setScheme(wh, scheme)
	wh.Status = statusFor(wh.Active)
	resp := webhookWithSecretJSON{webhookJSON: webhookToJSON(wh, now), Secret: secret}
	err := a.created(w, r, "/v1/webhooks/"+wh.ID, resp, func(ctx context.Context) error {
		return a.cfg.Store.CreateWebhook(ctx, wh)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, notFound("group %q not found; create it first or check the id", groupID))
	case err != nil:
		a.internalError(w, r, "create the webhook", err)
	}
}

func statusFor(active bool) string {
	if active {
		return store.StatusActive
	}
	return store.StatusInactive
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) {
	wh, err := a.cfg.Store.GetWebhook(r.Context(), r.PathValue("webhook_id"))
	if err != nil {
		a.webhookError(w, r, "read the webhook", err)
		return
	}
	writeJSON(w, http.StatusOK, webhookToJSON(wh, a.now()))
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	page, p := pageFromQuery(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	groupID, p := queryID(r, "group_id", rules.GroupID)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	filter := store.WebhookFilter{Scope: store.Scope(q.Get("scope")), GroupID: groupID}
	var errs fieldErrors
	switch filter.Scope {
	case "", store.ScopeAccount, store.ScopeGroup:
	default:
		errs.add("#/scope", "must be \"account\" or \"group\", got %q", filter.Scope)
	}
	if filter.GroupID != "" {
		if filter.Scope == store.ScopeAccount {
			errs.add("#/group_id", "cannot be combined with scope=account: account webhooks belong to no group")
		}
		filter.Scope = store.ScopeGroup
	}
	if s := q.Get("active"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			errs.add("#/active", "must be true or false, got %q", s)
		}
		filter.Active = &v
	}
	if filter.Status = q.Get("status"); filter.Status != "" && !slices.Contains(store.WebhookStatuses, filter.Status) {
		errs.add("#/status", "must be one of %s; got %q", strings.Join(store.WebhookStatuses, ", "), filter.Status)
	}
	if filter.Event = q.Get("event"); filter.Event != "" {
		if err := a.cfg.Catalog.ValidateType(filter.Event); err != nil {
			errs.add("#/event", "%v", err)
		}
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	if filter.GroupID != "" {
		// An unknown group is a 404, not an empty list that reads as "this
		// group has no webhooks".
		if _, err := a.cfg.Store.GetGroup(r.Context(), filter.GroupID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				writeProblem(w, r, notFound("group %q not found; check group_id", filter.GroupID))
				return
			}
			a.internalError(w, r, "read the group", err)
			return
		}
	}
	hooks, next, err := a.cfg.Store.ListWebhooks(r.Context(), filter, page)
	if err != nil {
		a.listError(w, r, "list webhooks", err)
		return
	}
	now := a.now()
	data := make([]webhookJSON, len(hooks))
	for i := range hooks {
		data[i] = webhookToJSON(&hooks[i], now)
	}
	writeJSON(w, http.StatusOK, listJSON[webhookJSON]{Data: data, NextCursor: nullable(next)})
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var req webhookUpdateRequest
	if p := decodeBody(w, r, &req, true, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	if req.Name.Set && !req.Name.Null {
		errs.checkText("/name", req.Name.Value, rules.MaxNameLength, rules.OneLine)
	}
	if req.Description.Set && !req.Description.Null {
		errs.checkText("/description", req.Description.Value, rules.MaxDescriptionLength, rules.MultiLine)
	}
	if req.URL.Set {
		if req.URL.Null {
			errs.add("/url", "cannot be null: a webhook always has a url")
		} else {
			errs.checkURL("/url", req.URL.Value, a.cfg.AllowPrivateDestinations)
		}
	}
	var events []string
	if req.Events.Set {
		events = errs.normalizeEvents("/events", req.Events.Value, a.cfg.Catalog)
	}
	if req.Active.Set && req.Active.Null {
		errs.add("/active", "cannot be null; send true or false")
	}
	errs.checkHeadersPatch("/headers", req.Headers.Value)
	if req.AuthToken.Set && !req.AuthToken.Null {
		errs.checkText("/auth_token", req.AuthToken.Value, rules.MaxAuthTokenLength, rules.BearerToken)
	}
	if req.Scheme.Set {
		if req.Scheme.Null {
			errs.add("/signature_scheme", "cannot be null; send %q or %q", rules.SchemeV1, rules.SchemeV1a)
		} else {
			errs.checkScheme("/signature_scheme", req.Scheme.Value)
		}
	}
	if req.Status.Set && (req.Status.Null || req.Status.Value != store.StatusActive) {
		errs.add("/status", "can only be set to \"active\", which re-enables an auto-disabled webhook; use `active` to switch a webhook on or off")
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}

	now := a.now()
	wh, err := a.cfg.Store.UpdateWebhook(r.Context(), r.PathValue("webhook_id"), func(wh *store.Webhook) error {
		if req.Name.Set {
			wh.Name = optionalPtr(req.Name)
		}
		if req.Description.Set {
			wh.Description = optionalPtr(req.Description)
		}
		if req.URL.Set {
			wh.URL = req.URL.Value
		}
		if req.Events.Set {
			wh.Events = events
		}
		if req.Active.Set {
			wh.Active = req.Active.Value
		}
		if req.Status.Set && wh.Status == store.StatusAutoDisabled {
			// The way out of auto_disabled, with a clean record.
			wh.Status, wh.DisabledReason, wh.DeadLetterStreak = statusFor(wh.Active), nil, 0
		}
		if wh.Status != store.StatusAutoDisabled {
			// auto_disabled holds until re-enabled through `status`; otherwise
			// the status follows the user's `active`.
			wh.Status = statusFor(wh.Active)
		}
		if req.Headers.Set {
			wh.Headers = mergeHeaders(wh.Headers, req.Headers)
			var errs fieldErrors
			errs.checkHeaders("/headers", wh.Headers)
			if p := errs.problem(); p != nil {
				return p
			}
		}
		if req.AuthToken.Set {
			wh.AuthToken = req.AuthToken.Value
		}
		if req.Scheme.Set {
			setScheme(wh, req.Scheme.Value)
		}
		wh.UpdatedAt = now
		return nil
	})
	if err != nil {
		a.webhookError(w, r, "update the webhook", err)
		return
	}
	if wh.Status != store.StatusActive {
		if err := a.cfg.Engine.CancelWebhook(r.Context(), wh.ID); err != nil {
			a.log.Error("cancel deliveries of an inactive webhook", "webhook_id", wh.ID, "error", err)
		}
	}
	writeJSON(w, http.StatusOK, webhookToJSON(wh, now))
}

// mergeHeaders applies a merge patch to headers; names match
// case-insensitively and take the patch's spelling.
func mergeHeaders(current map[string]string, patch Optional[map[string]*string]) map[string]string {
	out := map[string]string{}
	if patch.Null {
		return out
	}
	for k, v := range current {
		out[k] = v
	}
	for _, name := range sortedKeys(patch.Value) {
		for k := range out {
			if strings.EqualFold(k, name) {
				delete(out, k)
			}
		}
		if v := patch.Value[name]; v != nil {
			out[name] = *v
		}
	}
	return out
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook_id")
	if err := a.cfg.Store.DeleteWebhook(r.Context(), id); err != nil {
		a.webhookError(w, r, "delete the webhook", err)
		return
	}
	if err := a.cfg.Engine.CancelWebhook(r.Context(), id); err != nil {
		a.log.Error("cancel deliveries of a deleted webhook", "webhook_id", id, "error", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) webhookError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var p *problem
	switch {
	case errors.As(err, &p):
		writeProblem(w, r, p)
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, notFound("webhook %q not found", r.PathValue("webhook_id")))
	default:
		a.internalError(w, r, what, err)
	}
}
