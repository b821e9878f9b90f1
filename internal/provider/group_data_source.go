package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var (
	_ datasource.DataSource                     = (*groupDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*groupDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*groupDataSource)(nil)
)

// groupDataSource is data.hookd_group.
type groupDataSource struct {
	data *providerData
}

// NewGroupDataSource returns the hookd_group data source.
func NewGroupDataSource() datasource.DataSource { return &groupDataSource{} }

func (d *groupDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (d *groupDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a group by `id` or by `name` (exactly one of them), for example to attach a `hookd_group_webhook` to a group managed elsewhere.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Group id (`grp_...`) to look up. Exactly one of `id` and `name` must be set; the other is filled in.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{idValidator{kind: groupID, hint: " To look a group up by its name, set name instead."}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Exact name (case-sensitive) of the group to look up, 1 to %d characters. Exactly one of `id` and `name` must be set; the other is filled in.", maxGroupName),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{optionalText(maxGroupName, rules.OneLine)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "What the group is for; null when it has no description.",
				Computed:            true,
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "Creation time (RFC 3339).",
				Computed:            true,
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: "Time of the last change (RFC 3339).",
				Computed:            true,
			},
		},
	}
}

func (d *groupDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *groupDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	d.data = data
}

func (d *groupDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg groupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var group *client.Group
	if !cfg.ID.IsNull() {
		group = d.byID(ctx, cfg.ID.ValueString(), &resp.Diagnostics)
	} else {
		group = d.byName(ctx, cfg.Name.ValueString(), &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	state := groupFromAPI(group)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (d *groupDataSource) byID(ctx context.Context, id string, diags *diag.Diagnostics) *client.Group {
	group, err := d.data.client.GetGroup(ctx, id)
	if errors.Is(err, client.ErrNotFound) {
		diags.AddAttributeError(path.Root("id"), "Group not found",
			fmt.Sprintf("hookd has no group with id %q. Check the id, or look the group up by name instead.", id))
		return nil
	}
	if err != nil {
		addAPIError(diags, "Unable to read group "+id, err)
		return nil
	}
	return group
}

// byName lists every group and matches the name exactly: the API has no
// filter by name. A name that differs only in case is suggested.
func (d *groupDataSource) byName(ctx context.Context, name string, diags *diag.Diagnostics) *client.Group {
	var similar []string
	for g, err := range d.data.client.AllGroups(ctx, client.GroupListOptions{}) {
		if err != nil {
			addAPIError(diags, fmt.Sprintf("Unable to list groups to find the group named %q", name), err)
			return nil
		}
		if g.Name == name {
			return &g
		}
		if strings.EqualFold(g.Name, name) {
			similar = append(similar, fmt.Sprintf("%q", g.Name))
		}
	}
	hint := "Check the name (names are case-sensitive), or create the group with a hookd_group resource."
	if len(similar) > 0 {
		hint = "Names are case-sensitive: did you mean " + strings.Join(similar, " or ") + "?"
	}
	diags.AddAttributeError(path.Root("name"), "Group not found",
		fmt.Sprintf("hookd has no group named %q. %s", name, hint))
	return nil
}
