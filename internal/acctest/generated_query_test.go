package acctest

import (
	"reflect"
	"testing"
)

func TestGeneratedImports(t *testing.T) {
	src := `# __generated__ by Terraform
resource "hookd_group" "all_0" {
  provider    = hookd
  description = "Payments"
  name        = "payments"
}

import {
  to       = hookd_group.all_0
  provider = hookd
  identity = {
    id = "grp_1"
  }
}

import {
  to       = hookd_account_webhook.all_1
  identity = {
    id = "wh_2"
  }
}
`
	got, err := GeneratedImports(src)
	if err != nil {
		t.Fatal(err)
	}
	if want := []GeneratedImport{{To: "hookd_group.all_0", ID: "grp_1"}, {To: "hookd_account_webhook.all_1", ID: "wh_2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("GeneratedImports = %+v, want %+v", got, want)
	}
	args, err := ResourceArguments(src, "hookd_group.all_0")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"name": "payments", "description": "Payments"}; !reflect.DeepEqual(args, want) {
		t.Errorf("ResourceArguments = %v, want %v (provider left out)", args, want)
	}
	for _, bad := range []string{
		`import {
  to = hookd_group.x
  id = "grp_1"
}`,
		`import {
  identity = { id = "grp_1" }
}`,
		`import {
  to       = hookd_group.x
  identity = { name = "x" }
}`,
	} {
		if got, err := GeneratedImports(bad); err == nil {
			t.Errorf("GeneratedImports(%s) = %+v, want an error", bad, got)
		}
	}
}
