// Package catalog is hookd's event catalog: the event types webhooks can
// subscribe to, each with a JSON Schema (2020-12) for its data and an
// example. The built-in catalog is default.json; an operator can replace it
// with a file of the same shape (`hookd serve --catalog FILE`).
package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

//go:embed default.json
var defaultJSON []byte

// EventType is one entry of the catalog, as the API serves it.
type EventType struct {
	Type        string          `json:"type"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Stability   string          `json:"stability"`
	Deprecated  bool            `json:"deprecated"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// Catalog is an immutable, validated set of event types.
type Catalog struct {
	types   []EventType
	byType  map[string]int
	names   *rules.EventNames
	schemas map[string]*jsonschema.Schema
}

// FieldError is one reason an event's data does not match its schema.
// Pointer is a JSON pointer relative to the data ("" for the data itself).
type FieldError struct {
	Pointer string
	Detail  string
}

func (f FieldError) String() string { return f.Pointer + ": " + f.Detail }

// printer renders schema validation messages in English.
var printer = message.NewPrinter(language.English)

// typePattern is what an event type name looks like: category.name.
var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

// Default is the built-in catalog. It is validated by the tests, so a
// failure here is a programming error.
func Default() *Catalog {
	c, err := Parse(defaultJSON)
	if err != nil {
		panic("catalog: the built-in catalog is invalid: " + err.Error())
	}
	return c
}

// Load reads and validates an operator's catalog file.
func Load(path string) (*Catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse validates a catalog document: {"data": [EventType, ...]}. Every
// type must be well formed and unique, its category must match its name,
// its schema must compile and its example must validate against it.
func Parse(raw []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var doc struct {
		Data []EventType `json:"data"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a catalog document ({\"data\": [...]}): %w", err)
	}
	if len(doc.Data) == 0 {
		return nil, errors.New("the catalog lists no event types")
	}
	c := &Catalog{
		types:   make([]EventType, 0, len(doc.Data)),
		byType:  map[string]int{},
		schemas: map[string]*jsonschema.Schema{},
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	compiler.AssertFormat()
	for i, et := range doc.Data {
		where := fmt.Sprintf("data[%d] (%q)", i, et.Type)
		if !typePattern.MatchString(et.Type) {
			return nil, fmt.Errorf("%s: type must look like \"category.name\" in lower case", where)
		}
		if _, dup := c.byType[et.Type]; dup {
			return nil, fmt.Errorf("%s: duplicate type", where)
		}
		category, _, _ := strings.Cut(et.Type, ".")
		if et.Category == "" {
			et.Category = category
		}
		if et.Category != category {
			return nil, fmt.Errorf("%s: category %q does not match the type's prefix %q", where, et.Category, category)
		}
		switch et.Stability {
		case "":
			et.Stability = rules.StabilityStable
		case rules.StabilityStable, rules.StabilityBeta:
		default:
			return nil, fmt.Errorf("%s: stability must be %q or %q, got %q", where, rules.StabilityStable, rules.StabilityBeta, et.Stability)
		}
		if strings.TrimSpace(et.Description) == "" {
			return nil, fmt.Errorf("%s: description is required", where)
		}
		schema, err := compileSchema(compiler, et)
		if err != nil {
			return nil, fmt.Errorf("%s: schema: %w", where, err)
		}
		if len(et.Example) == 0 {
			return nil, fmt.Errorf("%s: example is required", where)
		}
		if problems := validate(schema, et.Example); len(problems) > 0 {
			return nil, fmt.Errorf("%s: the example does not match the schema: %s", where, problems[0])
		}
		et.Schema, et.Example = compact(et.Schema), compact(et.Example)
		c.byType[et.Type] = len(c.types)
		c.types = append(c.types, et)
		c.schemas[et.Type] = schema
	}
	names := make([]string, len(c.types))
	for i, et := range c.types {
		names[i] = et.Type
	}
	c.names = rules.NewEventNames(names)
	return c, nil
}

func compileSchema(compiler *jsonschema.Compiler, et EventType) (*jsonschema.Schema, error) {
	if len(et.Schema) == 0 {
		return nil, errors.New("is required")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(et.Schema))
	if err != nil {
		return nil, err
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, errors.New("must be a JSON object")
	}
	url := "hookd:///catalog/" + et.Type + ".json"
	if err := compiler.AddResource(url, doc); err != nil {
		return nil, err
	}
	return compiler.Compile(url)
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// Types returns every event type, in catalog order. Callers must not modify it.
func (c *Catalog) Types() []EventType { return c.types }

// Lookup finds an event type by name.
func (c *Catalog) Lookup(eventType string) (EventType, bool) {
	i, ok := c.byType[eventType]
	if !ok {
		return EventType{}, false
	}
	return c.types[i], true
}

// ValidateData checks an event's data against its type's schema. It returns
// nil when the data is valid, and one FieldError per failing location
// otherwise (also for a type the catalog does not hold).
func (c *Catalog) ValidateData(eventType string, data json.RawMessage) []FieldError {
	schema, ok := c.schemas[eventType]
	if !ok {
		return []FieldError{{Detail: fmt.Sprintf("%q is not an event type of the catalog", eventType)}}
	}
	return validate(schema, data)
}

func validate(schema *jsonschema.Schema, data json.RawMessage) []FieldError {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []FieldError{{Detail: "is not valid JSON: " + err.Error()}}
	}
	err = schema.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []FieldError{{Detail: err.Error()}}
	}
	var out []FieldError
	collect(ve, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

// collect flattens a validation error tree into its leaves: the causes a
// user can act on.
func collect(ve *jsonschema.ValidationError, out *[]FieldError) {
	if len(ve.Causes) == 0 {
		*out = append(*out, FieldError{Pointer: pointer(ve.InstanceLocation), Detail: ve.ErrorKind.LocalizedString(printer)})
		return
	}
	for _, cause := range ve.Causes {
		collect(cause, out)
	}
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// ValidatePattern checks one subscription entry: a catalog type, a category
// wildcard such as "transfer.*", or "*" (rules.EventNames.ValidatePattern).
func (c *Catalog) ValidatePattern(p string) error { return c.names.ValidatePattern(p) }

// ValidateType checks one event type where a pattern is not allowed, such
// as a list filter (rules.EventNames.ValidateType).
func (c *Catalog) ValidateType(t string) error { return c.names.ValidateType(t) }

// Suggest returns the catalog type closest to s, or "" when none is close.
func (c *Catalog) Suggest(s string) string { return c.names.Suggest(s) }
