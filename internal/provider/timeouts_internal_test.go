package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// Every resource's timeouts block is the same helper's: each operation
// says what it bounds and its default, never the framework's generic text.
func TestTimeoutsDescribed(t *testing.T) {
	ctx := context.Background()
	for _, newResource := range New("test")().Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "hookd"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		block, ok := resp.Schema.Blocks["timeouts"].(schema.SingleNestedBlock)
		if !ok {
			t.Errorf("%s: no timeouts block (%T)", meta.TypeName, resp.Schema.Blocks["timeouts"])
			continue
		}
		for _, op := range []string{"create", "read", "update", "delete"} {
			a, ok := block.Attributes[op]
			if !ok {
				t.Errorf("%s: timeouts has no %s", meta.TypeName, op)
				continue
			}
			d := a.GetDescription() // the timeouts package sets Description
			if !strings.HasPrefix(d, "How long ") || !strings.Contains(d, "retries included. Defaults to `5m`.") {
				t.Errorf("%s: timeouts.%s is described %q, want what it bounds and its default", meta.TypeName, op, d)
			}
		}
	}
}
