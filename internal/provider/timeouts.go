package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// defaultTimeout bounds an operation whose timeouts block leaves it unset.
const defaultTimeout = 5 * time.Minute

// withTimeout bounds ctx by an operation's timeout: one of the Create, Read,
// Update and Delete methods of the resource's timeouts block. A timeout that
// does not parse adds its diagnostics; callers check diags after deferring
// cancel.
func withTimeout(ctx context.Context, timeout func(context.Context, time.Duration) (time.Duration, diag.Diagnostics), diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	d, ds := timeout(ctx, defaultTimeout)
	diags.Append(ds...)
	if ds.HasError() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
