package contract

import "testing"

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
