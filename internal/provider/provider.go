// Package provider is the Terraform provider of the Hooks API (hookd/hookd):
// one file per resource and data source, schemas in functions, behaviour in
// plan modifiers and validators, pure mapping between API and model.
package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/protoserver"
)

// Address is the provider's registry source address.
const Address = "registry.terraform.io/hookd/hookd"

// Environment variables read when the provider block leaves a value out.
const (
	EnvEndpoint = "HOOKD_ENDPOINT"
	EnvAPIKey   = "HOOKD_API_KEY"
)

const (
	defaultEndpoint = "http://127.0.0.1:8080"
	// defaultMaxRetries converges through a flaky API: at 20 % failed
	// requests a call fails 11 times in a row about once in 50 million (with 5,
	// once in 15,600: one `make chaos` run in eight failed on the dice). A
	// server that refuses connections fails a call after about a minute of
	// backoff (250 ms doubling to 10 s); one that takes connections and never
	// answers costs request_timeout per try, so up to about 6 minutes at the
	// defaults, unless the operation's timeouts end it first.
	defaultMaxRetries     = 10
	maxMaxRetries         = 20
	defaultRequestTimeout = 30 * time.Second
)

var (
	_ provider.Provider                       = (*hookdProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*hookdProvider)(nil)
)

type hookdProvider struct {
	version string
	cache   *CommandCache
}

// Option configures the provider built by New.
type Option func(*hookdProvider)

// WithCommandCache shares the event catalog between the provider processes
// of one Terraform command through c (the provider binary does; tests that
// serve the provider in-process, where every command has the same parent,
// do not).
func WithCommandCache(c *CommandCache) Option { return func(p *hookdProvider) { p.cache = c } }

// New returns the provider factory for providerserver.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &hookdProvider{version: version}
		for _, o := range opts {
			o(p)
		}
		return p
	}
}

// Server is the provider as Terraform talks to it (protocol 6): the
// framework's server, wrapped so that it does not keep every RPC's context
// for the life of the process (internal/protoserver). The binary and the
// tests serve this, never the framework's server alone.
func Server(version string, opts ...Option) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		return protoserver.Wrap(providerserver.NewProtocol6(New(version, opts...)())())
	}
}

type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	APIKey         types.String `tfsdk:"api_key"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
}

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	client *client.Client
	// catalog brings the live event catalog's type names when a plan has
	// event types to check (eventCatalog.eventNames).
	catalog *eventCatalog
}

func (p *hookdProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "hookd"
	resp.Version = p.version
}

func (p *hookdProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages webhook subscriptions of a [Hooks API](https://github.com/hookd/terraform-provider-hookd) server such as `hookd`: webhooks at account and group scope, groups, and reads of the event catalog and of deliveries.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Hooks API, such as `https://hooks.example.com`. Defaults to the `" + EnvEndpoint + "` environment variable, then `" + defaultEndpoint + "`.",
				Optional:            true,
			},
			"api_key": schema.StringAttribute{
				MarkdownDescription: "API key, sent as a bearer token. Defaults to the `" + EnvAPIKey + "` environment variable. Prefer the variable: a key in configuration ends up in plan files.",
				Optional:            true,
				Sensitive:           true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request that failed for a transient reason (no answer or a dropped one, 429, 500, 502, 503, 504) is retried, with exponential backoff (250 ms doubling to 10 s) and `Retry-After`. Defaults to `%d`, which rides out a fifth of requests failing. A server that refuses connections then fails a call after about a minute of backoff; one that takes connections and never answers costs `request_timeout` per try (up to about 6 minutes at the defaults), unless the resource's `timeouts` end it first: lower `request_timeout` or `max_retries` to fail sooner.", defaultMaxRetries),
				Optional:            true,
				Validators:          []validator.Int64{between(0, maxMaxRetries, fmt.Sprintf("0 turns retries off; leave it out for the default, %d", defaultMaxRetries))},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of one HTTP request, as a Go duration such as `30s` or `2m`. Defaults to `30s`.",
				Optional:            true,
				Validators:          []validator.String{durationValidator{}},
			},
		},
	}
}

func (p *hookdProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for attr, v := range map[string]interface{ IsUnknown() bool }{
		"endpoint": cfg.Endpoint, "api_key": cfg.APIKey, "max_retries": cfg.MaxRetries, "request_timeout": cfg.RequestTimeout,
	} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Unknown provider "+attr,
				"The provider's "+attr+" depends on a value known only after apply. Set it from a variable or a value known at plan time, or apply the resource it depends on first (terraform apply -target=...).")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	settings := providerSettings(cfg, os.Getenv)
	if settings.apiKey == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing hookd API key",
			"Set api_key in the provider block or the "+EnvAPIKey+" environment variable. hookd prints its first key when it starts on an empty database.")
		return
	}
	c, err := client.New(settings.endpoint, settings.apiKey,
		client.WithTimeout(settings.timeout),
		client.WithRetryPolicy(retryPolicy(settings.maxRetries)),
		client.WithUserAgent(userAgent(p.version, req.TerraformVersion)),
		client.WithLogger(tflogBridge(settings.apiKey)),
	)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid hookd endpoint",
			fmt.Sprintf("%v. Fix endpoint in the provider block or the %s environment variable.", err, EnvEndpoint))
		return
	}
	// No API call here: Terraform configures the provider in every process
	// of a command, and a refresh, a no-change plan or a destroy has no use
	// for the catalog. The first call tells a wrong key or endpoint (see
	// eventCatalog and addAPIError).
	data := &providerData{client: c, catalog: &eventCatalog{client: c, endpoint: settings.endpoint, apiKey: settings.apiKey, cache: p.cache}}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

// providerDataFrom is what every resource and data source does in
// Configure: nil before the provider is configured, an error (a provider
// bug) for anything but *providerData.
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}

type settings struct {
	endpoint, apiKey string
	maxRetries       int
	timeout          time.Duration
}

// providerSettings resolves configuration, environment and defaults, in
// that order. Validators have already checked the values' shape.
func providerSettings(cfg providerModel, getenv func(string) string) settings {
	s := settings{endpoint: defaultEndpoint, maxRetries: defaultMaxRetries, timeout: defaultRequestTimeout}
	if v := getenv(EnvEndpoint); v != "" {
		s.endpoint = v
	}
	if !cfg.Endpoint.IsNull() {
		s.endpoint = cfg.Endpoint.ValueString()
	}
	s.apiKey = getenv(EnvAPIKey)
	if !cfg.APIKey.IsNull() {
		s.apiKey = cfg.APIKey.ValueString()
	}
	if !cfg.MaxRetries.IsNull() {
		s.maxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	if !cfg.RequestTimeout.IsNull() {
		if d, err := time.ParseDuration(cfg.RequestTimeout.ValueString()); err == nil {
			s.timeout = d
		}
	}
	return s
}

func retryPolicy(maxRetries int) client.RetryPolicy {
	p := client.DefaultRetryPolicy
	p.MaxRetries = maxRetries
	return p
}

func userAgent(version, terraformVersion string) string {
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return fmt.Sprintf("terraform-provider-hookd/%s Terraform/%s", version, terraformVersion)
}

// tflogBridge sends the client's exchange logs to tflog. The client already
// redacts credentials; masking the key here is the second line. When the
// provider's log level drops DEBUG (main turns it off when Terraform
// collects no provider logs), no call is masked, matched or encoded for a
// record nobody reads.
func tflogBridge(apiKey string) client.Logger {
	if !debugLogsOn(os.Getenv) {
		return client.LoggerFunc(func(context.Context, string, client.LogEntry) {})
	}
	return client.LoggerFunc(func(ctx context.Context, msg string, entry client.LogEntry) {
		ctx = tflog.MaskLogStrings(ctx, apiKey)
		ctx = tflog.MaskLogRegexes(ctx, secretPattern)
		tflog.Debug(ctx, msg, logFields(entry))
	})
}

// logFields turns a client log entry into tflog fields, leaving out what is
// not known (no status without a response, no wait unless retrying).
func logFields(e client.LogEntry) map[string]any {
	f := map[string]any{"method": e.Method, "path": e.Path, "attempt": e.Attempt}
	if e.Status != 0 {
		f["status"] = e.Status
	}
	if e.Duration != 0 {
		f["duration_ms"] = e.Duration.Milliseconds()
	}
	if e.RequestID != "" {
		f["request_id"] = e.RequestID
	}
	if e.Wait != 0 {
		f["wait_ms"] = e.Wait.Milliseconds()
	}
	if e.Error != "" {
		f["error"] = e.Error
	}
	return f
}

// secretPattern matches signing secrets, should one ever reach a log line.
var secretPattern = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)

func (p *hookdProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewGroupResource,
		NewAccountWebhookResource,
		NewGroupWebhookResource,
	}
}

func (p *hookdProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewSigningSecretEphemeralResource,
	}
}

func (p *hookdProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewEventCatalogDataSource,
		NewWebhookDeliveriesDataSource,
		NewWebhookDataSource,
		NewWebhooksDataSource,
		NewGroupDataSource,
	}
}
