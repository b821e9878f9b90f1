package problemdoc

import (
	"maps"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookd/terraform-provider-hookd/api"
)

// Every problem code of the contract has a title, and every code with a
// title is the contract's: a code added on one side only fails here, not
// as a document with an empty title.
func TestTitlesAreTheContractsCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Problem struct {
					Properties struct {
						Code struct {
							Enum []string `yaml:"enum"`
						} `yaml:"code"`
					} `yaml:"properties"`
				} `yaml:"Problem"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	codes := doc.Components.Schemas.Problem.Properties.Code.Enum
	if len(codes) < 10 {
		t.Fatalf("read %d problem codes from api/openapi.yaml", len(codes))
	}
	slices.Sort(codes)
	if titled := slices.Sorted(maps.Keys(titles)); !slices.Equal(titled, codes) {
		t.Errorf("codes with a title %v\nthe contract's codes %v", titled, codes)
	}
	for code, title := range titles {
		if title == "" {
			t.Errorf("%s: empty title", code)
		}
	}
}
