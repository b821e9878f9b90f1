package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var _ ephemeral.EphemeralResource = (*signingSecretEphemeralResource)(nil)

// signingSecretEphemeralResource is hookd_signing_secret: a signing secret
// made on the machine that runs Terraform, never stored in plan or state,
// to feed the write-only secret_wo of a webhook and, in the same run, a
// secret store's write-only attribute. It makes no API call.
type signingSecretEphemeralResource struct{}

// NewSigningSecretEphemeralResource returns hookd_signing_secret.
func NewSigningSecretEphemeralResource() ephemeral.EphemeralResource {
	return &signingSecretEphemeralResource{}
}

type signingSecretModel struct {
	Bytes       types.Int64  `tfsdk:"bytes"`
	Secret      types.String `tfsdk:"secret"`
	Fingerprint types.String `tfsdk:"fingerprint"`
}

func (e *signingSecretEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_signing_secret"
}

func (e *signingSecretEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A new webhook signing secret (`whsec_` followed by the standard base64 of random bytes, the Standard Webhooks format), " +
			"generated with a cryptographic random source on the machine that runs Terraform. As an ephemeral resource (Terraform 1.10+) it is " +
			"never written to plan or state: feed it to a webhook's write-only `secret_wo` (Terraform 1.11+, OpenTofu 1.11+) and, in the same run, to your secret " +
			"store's write-only attribute, so the receiver and hookd share a secret that Terraform never keeps. Each run makes a new value, " +
			"which a webhook installs when `secret_wo_version` changes, and also when its `secret_fingerprint` shows that the server no longer " +
			"has the secret Terraform installed (rotated or replaced outside Terraform): the next apply then installs the new value. " +
			"Make the secret store's copy follow `secret_fingerprint` as well as your version, or it keeps the old secret.",
		Attributes: map[string]schema.Attribute{
			"bytes": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many random bytes the secret holds, %d to %d. Defaults to `%d`.",
					rules.MinSecretBytes, rules.MaxSecretBytes, rules.DefaultSecretBytes),
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{between(rules.MinSecretBytes, rules.MaxSecretBytes, fmt.Sprintf("leave it out for the default, %d", rules.DefaultSecretBytes))},
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The signing secret, `whsec_...`.",
				Computed:            true,
				Sensitive:           true,
			},
			"fingerprint": schema.StringAttribute{
				MarkdownDescription: "The secret's fingerprint, as the API reports it in a webhook's `secret_fingerprint`: the first 8 bytes of the SHA-256 of the secret's text, in hex. Not secret.",
				Computed:            true,
			},
		},
	}
}

func (e *signingSecretEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m signingSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n := int64(rules.DefaultSecretBytes)
	if !m.Bytes.IsNull() && !m.Bytes.IsUnknown() {
		n = m.Bytes.ValueInt64()
	}
	secret, err := rules.NewSigningSecret(int(n))
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("bytes"), "Unable to generate a signing secret", err.Error())
		return
	}
	m.Bytes = types.Int64Value(n)
	m.Secret = types.StringValue(secret)
	m.Fingerprint = types.StringValue(rules.Fingerprint(secret))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
