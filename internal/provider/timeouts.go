package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// defaultTimeout bounds an operation whose timeouts block leaves it unset.
const defaultTimeout = 5 * time.Minute

// timeoutOps says what each operation of a resource does, for the
// descriptions of its timeouts: "creating the group".
type timeoutOps struct{ create, read, update, delete string }

// timeoutsBlock is the timeouts block of every resource: create, read,
// update and delete, each described with what it bounds and its default
// (defaultTimeout), where the framework's own text names neither.
func timeoutsBlock(ctx context.Context, ops timeoutOps) schema.Block {
	return timeouts.Block(ctx, timeouts.Opts{
		Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: timeoutDescription(ops.create),
		ReadDescription:   timeoutDescription(ops.read),
		UpdateDescription: timeoutDescription(ops.update),
		// Terraform destroys with the timeouts in state, not in
		// configuration (the framework's text says so too).
		DeleteDescription: timeoutDescription(ops.delete) + " A new value counts for a destroy once an apply has saved it in state.",
	})
}

// timeoutDescription describes one timeout: "How long <what> may take, as a
// duration ... Defaults to `5m`." for what, such as "creating the group".
func timeoutDescription(what string) string {
	return fmt.Sprintf("How long %s may take, as a duration such as `30s` or `2m`, retries included. Defaults to `%s`.",
		what, strings.TrimSuffix(defaultTimeout.String(), "0s"))
}

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
