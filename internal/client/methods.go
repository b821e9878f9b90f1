package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

func pageQuery(o ListOptions) url.Values {
	q := url.Values{}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

func path(parts ...string) string {
	p := ""
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}

// result returns out, or nil with the error: a failed call never hands
// back a half-filled value.
func result[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}

// all follows next_cursor from the first page to the last.
func all[T any](ctx context.Context, limit int, page func(ctx context.Context, o ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		o := ListOptions{Limit: limit}
		for {
			p, err := page(ctx, o)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == nil || *p.NextCursor == "" {
				return
			}
			o.Cursor = *p.NextCursor
		}
	}
}

// Health checks that the server answers (no authentication involved).
func (c *Client) Health(ctx context.Context) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/health", out: &out}); err != nil {
		return "", err
	}
	return out.Version, nil
}

// --- groups

func (c *Client) CreateGroup(ctx context.Context, req CreateGroupRequest) (*Group, error) {
	var out Group
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/groups", body: req, out: &out}))
}

func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	var out Group
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/groups" + path(id), out: &out}))
}

func (c *Client) UpdateGroup(ctx context.Context, id string, req UpdateGroupRequest) (*Group, error) {
	var out Group
	return result(&out, c.do(ctx, call{method: http.MethodPatch, path: "/v1/groups" + path(id), body: req, contentType: "application/merge-patch+json", out: &out}))
}

func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/groups" + path(id)})
}

// GroupListOptions filters ListGroups.
type GroupListOptions struct {
	ListOptions
	// NamePrefix keeps the groups whose name starts with it (case-sensitive).
	NamePrefix string
}

// ListGroups returns one page.
func (c *Client) ListGroups(ctx context.Context, o GroupListOptions) (*Page[Group], error) {
	q := pageQuery(o.ListOptions)
	if o.NamePrefix != "" {
		q.Set("name_prefix", o.NamePrefix)
	}
	var out Page[Group]
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/groups", query: q, out: &out}))
}

// AllGroups iterates over every group matching o, page by page (pages of
// o.Limit, 1000 by default), asking for the next page only when the loop
// needs it.
func (c *Client) AllGroups(ctx context.Context, o GroupListOptions) iter.Seq2[Group, error] {
	limit := o.Limit
	if limit == 0 {
		limit = 1000
	}
	return all(ctx, limit, func(ctx context.Context, lo ListOptions) (*Page[Group], error) {
		o.ListOptions = lo
		return c.ListGroups(ctx, o)
	})
}

// --- webhooks

func (c *Client) CreateAccountWebhook(ctx context.Context, req CreateWebhookRequest) (*WebhookWithSecret, error) {
	var out WebhookWithSecret
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/webhooks/account", body: req, out: &out, secrets: webhookSecrets(req)}))
}

func (c *Client) CreateGroupWebhook(ctx context.Context, groupID string, req CreateWebhookRequest) (*WebhookWithSecret, error) {
	var out WebhookWithSecret
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/webhooks/group" + path(groupID), body: req, out: &out, secrets: webhookSecrets(req)}))
}

func webhookSecrets(req CreateWebhookRequest) []string {
	var s []string
	if req.AuthToken != nil {
		s = append(s, *req.AuthToken)
	}
	if req.Secret != nil {
		s = append(s, *req.Secret)
	}
	return s
}

func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var out Webhook
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks" + path(id), out: &out}))
}

func (c *Client) UpdateWebhook(ctx context.Context, id string, req UpdateWebhookRequest) (*Webhook, error) {
	var out Webhook
	var secrets []string
	if req.AuthToken != nil && !req.AuthToken.Null {
		secrets = append(secrets, req.AuthToken.Value)
	}
	return result(&out, c.do(ctx, call{method: http.MethodPatch, path: "/v1/webhooks" + path(id), body: req, contentType: "application/merge-patch+json", out: &out, secrets: secrets}))
}

func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/webhooks" + path(id)})
}

// WebhookListOptions filters ListWebhooks; the filters combine.
type WebhookListOptions struct {
	ListOptions
	Scope   Scope
	GroupID string
	// Active, when set, keeps the webhooks whose active switch is *Active.
	Active *bool
	// Event keeps the webhooks subscribed to this event type (one type of
	// the catalog, not a pattern).
	Event string
}

func (c *Client) ListWebhooks(ctx context.Context, o WebhookListOptions) (*Page[Webhook], error) {
	q := pageQuery(o.ListOptions)
	if o.Scope != "" {
		q.Set("scope", string(o.Scope))
	}
	if o.GroupID != "" {
		q.Set("group_id", o.GroupID)
	}
	if o.Active != nil {
		q.Set("active", strconv.FormatBool(*o.Active))
	}
	if o.Event != "" {
		q.Set("event", o.Event)
	}
	var out Page[Webhook]
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks", query: q, out: &out}))
}

// AllWebhooks iterates over every webhook matching o, page by page (pages
// of o.Limit, 1000 by default), asking for the next page only when the
// loop needs it.
func (c *Client) AllWebhooks(ctx context.Context, o WebhookListOptions) iter.Seq2[Webhook, error] {
	limit := o.Limit
	if limit == 0 {
		limit = 1000
	}
	return all(ctx, limit, func(ctx context.Context, lo ListOptions) (*Page[Webhook], error) {
		o.ListOptions = lo
		return c.ListWebhooks(ctx, o)
	})
}

// RotateSecret rotates the signing secret; the response holds the new one.
func (c *Client) RotateSecret(ctx context.Context, id string, req RotateSecretRequest) (*SecretRotation, error) {
	var out SecretRotation
	var secrets []string
	if req.Secret != nil {
		secrets = append(secrets, *req.Secret)
	}
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/webhooks" + path(id, "secret", "rotate"), body: req, out: &out, secrets: secrets}))
}

// TestWebhook sends a test delivery now; eventType "" lets the server pick.
func (c *Client) TestWebhook(ctx context.Context, id, eventType string) (*TestResult, error) {
	body := map[string]string{}
	if eventType != "" {
		body["event_type"] = eventType
	}
	var out TestResult
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/webhooks" + path(id, "test"), body: body, out: &out}))
}

// --- catalog and events

func (c *Client) EventCatalog(ctx context.Context) ([]EventType, error) {
	var out struct {
		Data []EventType `json:"data"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks/events", out: &out}); err != nil {
		return nil, err
	}
	return out.Data, nil
}

func (c *Client) PublishEvent(ctx context.Context, req PublishEventRequest) (*EventAccepted, error) {
	var out EventAccepted
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/events", body: req, out: &out}))
}

// GetEvent reads an event as it was published; ErrNotFound once it was
// deleted with its deliveries (after the retention period).
func (c *Client) GetEvent(ctx context.Context, id string) (*Event, error) {
	var out Event
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/events" + path(id), out: &out}))
}

// --- deliveries

// DeliveryListOptions filters ListDeliveries: a page and the filter
// (deliveries.Filter, which hookd's console uses too).
type DeliveryListOptions struct {
	ListOptions
	deliveries.Filter
}

// query is the query string of GET /v1/webhooks/{id}/deliveries for o:
// o's page and deliveries.Filter's query.
func (o DeliveryListOptions) query() url.Values {
	q := o.Query() // the filter's (deliveries.Filter.Query)
	for k, v := range pageQuery(o.ListOptions) {
		q[k] = v
	}
	return q
}

func (c *Client) ListDeliveries(ctx context.Context, webhookID string, o DeliveryListOptions) (*Page[Delivery], error) {
	var out Page[Delivery]
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks" + path(webhookID, "deliveries"), query: o.query(), out: &out}))
}

// AllDeliveries iterates over every delivery matching o, newest first.
func (c *Client) AllDeliveries(ctx context.Context, webhookID string, o DeliveryListOptions) iter.Seq2[Delivery, error] {
	limit := o.Limit
	if limit == 0 {
		limit = 1000
	}
	return all(ctx, limit, func(ctx context.Context, lo ListOptions) (*Page[Delivery], error) {
		o.ListOptions = lo
		return c.ListDeliveries(ctx, webhookID, o)
	})
}

func (c *Client) GetDelivery(ctx context.Context, id string) (*DeliveryDetail, error) {
	var out DeliveryDetail
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/deliveries" + path(id), out: &out}))
}

func (c *Client) RetryDelivery(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/deliveries" + path(id, "retry"), out: &out}))
}

func (c *Client) ReplayDelivery(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	return result(&out, c.do(ctx, call{method: http.MethodPost, path: "/v1/deliveries" + path(id, "replay"), out: &out}))
}

// DeliveryStatsOptions is the range of DeliveryStats: whole hours (UTC),
// at most 168 of them. A zero Until is the end of the current hour, a zero
// Since 24 hours before Until.
type DeliveryStatsOptions struct {
	Since, Until time.Time
}

func (o DeliveryStatsOptions) query() url.Values {
	q := url.Values{}
	if !o.Since.IsZero() {
		q.Set("since", o.Since.UTC().Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// DeliveryStats counts the webhook's deliveries per hour of creation and
// status over o's range. A range that is not whole hours, or longer than
// 168 hours, is an ErrValidation naming since or until.
func (c *Client) DeliveryStats(ctx context.Context, webhookID string, o DeliveryStatsOptions) (*DeliveryStats, error) {
	var out DeliveryStats
	return result(&out, c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks" + path(webhookID, "deliveries", "stats"), query: o.query(), out: &out}))
}
