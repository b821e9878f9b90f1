package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// addAPIError reports a failed call: what failed, the API's own detail and
// request id, and a hint of what to do. Field errors whose JSON pointer
// names a top-level attribute are attached to that attribute.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		hint := ""
		if errors.Is(err, client.ErrUnreachable) {
			hint = " Check that hookd is running and that the provider's endpoint is right."
		}
		diags.AddError(summary, err.Error()+"."+hint)
		return
	}
	detail := apiErr.Detail
	if detail == "" {
		detail = apiErr.Title
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(detail, "."))
	b.WriteString(".")
	if hint := apiHint(apiErr); hint != "" {
		b.WriteString(" " + hint)
	}
	if apiErr.RequestID != "" {
		fmt.Fprintf(&b, " (hookd request id %s)", apiErr.RequestID)
	}
	if len(apiErr.Errors) == 0 {
		diags.AddError(summary, b.String())
		return
	}
	for _, fe := range apiErr.Errors {
		msg := fe.Detail
		if apiErr.RequestID != "" {
			msg += fmt.Sprintf(" (hookd request id %s)", apiErr.RequestID)
		}
		if p, ok := pointerPath(fe.Pointer); ok {
			diags.AddAttributeError(p, summary, p.String()+": "+msg)
		} else {
			diags.AddError(summary, fe.Pointer+": "+msg)
		}
	}
}

func apiHint(e *client.APIError) string {
	switch {
	case errors.Is(e, client.ErrUnauthorized):
		return "Check the provider's api_key (or " + EnvAPIKey + ")."
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
