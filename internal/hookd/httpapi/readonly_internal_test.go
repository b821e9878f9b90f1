package httpapi

import (
	"slices"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
)

// Every member a response has and its request does not is named read-only,
// with why; none a request takes is.
func TestReadOnlyMembersAreTheResponsesOwn(t *testing.T) {
	for _, c := range []struct {
		response, request string
		extra             []string // members of the resource's other answers (the create's secret)
		readOnly          map[string]string
	}{
		{"Group", "GroupCreate", nil, groupReadOnly},
		{"Group", "GroupUpdate", nil, groupReadOnly},
		{"Webhook", "WebhookCreate", nil, webhookCreateReadOnly},
		{"Webhook", "WebhookUpdate", []string{"secret"}, webhookUpdateReadOnly},
		{"SecretRotation", "SecretRotateRequest", nil, secretRotateReadOnly},
		{"EventEnvelope", "EventCreate", nil, eventReadOnly},
	} {
		response, err := contract.Properties(c.response)
		if err != nil {
			t.Fatal(err)
		}
		request, err := contract.Properties(c.request)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, name := range append(response, c.extra...) {
			if !slices.Contains(request, name) {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		got := slices.Sorted(func(yield func(string) bool) {
			for name := range c.readOnly {
				if !yield(name) {
					return
				}
			}
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s: read-only %v, want %v (in %s, not in %s)", c.request, got, want, c.response, c.request)
		}
	}
}
