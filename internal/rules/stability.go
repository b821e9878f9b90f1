package rules

// Stability of an event type in the catalog: what hookd accepts in a
// catalog file (no stability means stable) and what the provider's
// hookd_event_catalog data source filters on.
const (
	StabilityStable = "stable"
	StabilityBeta   = "beta"
)
