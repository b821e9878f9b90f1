package client

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
)

// Every type that mirrors a schema of api/openapi.yaml has exactly its
// properties: the client reads every field the API returns (a new one is
// not silently dropped) and sends none the API does not know.
func TestTypesCoverTheContract(t *testing.T) {
	for schema, value := range map[string]any{
		"Group":               Group{},
		"GroupCreate":         CreateGroupRequest{},
		"GroupUpdate":         UpdateGroupRequest{},
		"Webhook":             Webhook{},
		"WebhookWithSecret":   WebhookWithSecret{},
		"WebhookCreate":       CreateWebhookRequest{},
		"WebhookUpdate":       UpdateWebhookRequest{},
		"SecretRotateRequest": RotateSecretRequest{},
		"SecretRotation":      SecretRotation{},
		"EventType":           EventType{},
		"EventCreate":         PublishEventRequest{},
		"EventAccepted":       EventAccepted{},
		"EventEnvelope":       Event{},
		"DeliveryStats":       DeliveryStats{},
		"DeliveryStatsBucket": DeliveryStatsBucket{},
		"Delivery":            Delivery{},
		"DeliveryDetail":      DeliveryDetail{},
		"Attempt":             Attempt{},
		"WebhookTestResult":   TestResult{},
	} {
		want, err := contract.Properties(schema)
		if err != nil {
			t.Fatal(err)
		}
		got := jsonNames(reflect.TypeOf(value))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the client's %T has %v, the contract %v", schema, value, got, want)
		}
	}
}

// jsonNames returns the JSON member names of a struct, embedded structs
// included, sorted.
func jsonNames(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonNames(f.Type)...)
		case name != "":
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
