package contract

import (
	"reflect"
	"testing"
)

// The contract itself must be a valid OpenAPI document.
func TestSpecIsValid(t *testing.T) {
	v, err := Validator()
	if err != nil {
		t.Fatal(err)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI 3.1 document:\n%s", describe(errs))
	}
}

func TestProperties(t *testing.T) {
	got, err := Properties("DeliveryDetail") // its own property and its allOf's
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 18 || got[0] != "attempt_count" || got[1] != "attempts" {
		t.Errorf("DeliveryDetail: %v", got)
	}
	got, err = Properties("SecretRotation")
	want := []string{"previous_public_key", "previous_secret_expires_at", "previous_secret_fingerprint", "public_key", "secret", "secret_fingerprint", "secret_rotated_at", "secret_version"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("SecretRotation: %v %v", got, err)
	}
	if _, err := Properties("NoSuchSchema"); err == nil {
		t.Error("a missing schema has properties")
	}
}
