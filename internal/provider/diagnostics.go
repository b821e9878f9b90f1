package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// What to check when hookd refuses the API key or does not answer: the
// argument and its environment variable, said the same way by every
// object and by the catalog's plan-time check.
const (
	checkAPIKey   = "Check api_key in the provider block or the " + EnvAPIKey + " environment variable."
	checkEndpoint = "Check endpoint in the provider block or the " + EnvEndpoint + " environment variable, and that the server is running."
)

// What to do about an action's webhook_id or delivery_id that names
// nothing on the server.
var (
	webhookNotFoundAdvice = problemAdvice{Code: codeNotFound, Advice: "Check webhook_id: " +
		"data.hookd_webhooks lists the webhooks (terraform query too, on Terraform 1.14 and later), and a webhook deleted since is gone."}
	deliveryNotFoundAdvice = problemAdvice{Code: codeNotFound, Advice: "Check delivery_id: " +
		"data.hookd_webhook_deliveries lists a webhook's deliveries; hookd keeps them for its --retention (30 days by default), then deletes them."}
)

// importNotFound reports the import of an id that names nothing: Read's
// 404 for a state that was never read, which holds only the id that
// ImportState set (created_at, which every read sets, is null). Removing
// it, as for an object deleted outside Terraform, would leave Terraform's
// generic "non-existent remote object" error, which names no id and
// speaks of regions.
func importNotFound(diags *diag.Diagnostics, kind, id, howToFind string, err error) {
	diags.AddError("Cannot import "+kind+" "+id,
		fmt.Sprintf("hookd has no %s %s. Check the id in the import block or command: %s (hookd said: %s)", kind, id, howToFind, apiMessage(err)))
}

// problemAdvice is what to do about one problem code (api/openapi.yaml,
// Problem.code) in one context, such as a group that is not empty when it
// is deleted.
type problemAdvice struct {
	Code   string
	Advice string
}

// addAPIError reports a failed call, the one way every object does: what
// failed, the API's own detail, what to do, and the request id. What to do
// comes from the failure's kind (a resource timeout, authentication,
// rate limit) and, for a problem code in advice, from the caller. Field
// errors whose JSON pointer names a top-level attribute are attached to
// that attribute.
func addAPIError(diags *diag.Diagnostics, summary string, err error, advice ...problemAdvice) {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		hint := ""
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			hint = " hookd did not answer in time: raise the limit in the resource's timeouts block (create, read, update or delete), or check that hookd is healthy."
		case errors.Is(err, client.ErrUnreachable):
			hint = " " + checkEndpoint
		}
		diags.AddError(summary, err.Error()+"."+hint)
		return
	}
	requestID := ""
	if apiErr.RequestID != "" {
		requestID = fmt.Sprintf(" (hookd request id %s)", apiErr.RequestID)
	}
	if len(apiErr.Errors) > 0 {
		for _, fe := range apiErr.Errors {
			if p, ok := pointerPath(fe.Pointer); ok {
				diags.AddAttributeError(p, summary, p.String()+": "+fe.Detail+requestID)
			} else {
				diags.AddError(summary, fe.Pointer+": "+fe.Detail+requestID)
			}
		}
		return
	}
	diags.AddError(summary, problemText(apiErr, advice))
}

// problemText is the API's detail of a failure, what to do, and its
// request id, on one line.
func problemText(apiErr *client.APIError, advice []problemAdvice) string {
	detail := apiErr.Detail
	if detail == "" {
		detail = apiErr.Title
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(detail, "."))
	b.WriteString(".")
	hint := apiHint(apiErr)
	for _, a := range advice {
		if apiErr.Code == a.Code {
			hint = a.Advice
			break
		}
	}
	if hint != "" {
		b.WriteString(" " + hint)
	}
	if apiErr.RequestID != "" {
		fmt.Fprintf(&b, " (hookd request id %s)", apiErr.RequestID)
	}
	return b.String()
}

// apiMessage is the one-line text of a failed call, for a list of failures.
func apiMessage(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return problemText(apiErr, nil)
	}
	return err.Error()
}

func apiHint(e *client.APIError) string {
	switch {
	case errors.Is(e, client.ErrUnauthorized):
		return checkAPIKey
	case errors.Is(e, client.ErrForbidden):
		return "The API key is not allowed to do this."
	case errors.Is(e, client.ErrRateLimited):
		return "Lower the parallelism (terraform apply -parallelism=N) or raise max_retries."
	}
	return ""
}

// pointerPath maps a JSON pointer such as /events/0 or /headers/X-Team to
// the attribute it names.
func pointerPath(pointer string) (path.Path, bool) {
	// Query parameters come as URI fragments (#/status): same names.
	pointer = strings.TrimPrefix(pointer, "#")
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if pointer == "" || parts[0] == "" {
		return path.Empty(), false
	}
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	p := path.Root(unescape.Replace(parts[0]))
	if parts[0] == "headers" && len(parts) > 1 {
		p = p.AtMapKey(unescape.Replace(parts[1]))
	}
	return p, true
}
