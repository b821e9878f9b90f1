package acctest

import (
	"reflect"
	"testing"
)

func TestResourceArguments(t *testing.T) {
	src := `# __generated__ by Terraform
resource "hookd_group" "other" {
  name = "other"
}

# __generated__ by Terraform from "wh_1"
resource "hookd_account_webhook" "test" {
  active      = false
  auth_token  = null # sensitive
  events      = ["transfer.created", "workspace.*"]
  headers = {
    X-Team = "audit"
  }
  retries = 3
  timeouts {
    create = "1m"
  }
}
`
	got, err := ResourceArguments(src, "hookd_account_webhook.test")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"active":     false,
		"auth_token": nil,
		"events":     []any{"transfer.created", "workspace.*"},
		"headers":    map[string]any{"X-Team": "audit"},
		"retries":    float64(3),
		"timeouts":   []any{map[string]any{"create": "1m"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResourceArguments:\n got %#v\nwant %#v", got, want)
	}

	for _, tc := range []struct{ name, src, address string }{
		{"missing", src, "hookd_group.test"},
		{"not an address", src, "hookd_group"},
		{"reference", `resource "hookd_group" "test" { name = var.name }`, "hookd_group.test"},
		{"syntax", `resource "hookd_group" "test" {`, "hookd_group.test"},
		{"twice", `resource "hookd_group" "test" {}
resource "hookd_group" "test" {}`, "hookd_group.test"},
	} {
		if got, err := ResourceArguments(tc.src, tc.address); err == nil {
			t.Errorf("%s: got %v, want an error", tc.name, got)
		}
	}
}
