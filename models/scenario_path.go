package models

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// locateBudget bounds the nodes locateError visits (aliases can make a small
// file a large tree).
const locateBudget = 100000

// locateError finds the first value of the YAML document data that does not
// decode into its field of a value of type t and returns an error that names
// the field's path (for example "precopy.stop.max_rounds: want a whole number,
// got \"lots\" (line 7)"); nil when it finds none. It is only called after a
// decode failed, to say where: yaml.v3 reports unknown fields and type errors by
// line, and the errors of the unit types (sizes, rates, durations) not at all.
//
// It also catches what yaml.v3 accepts silently: a fractional number for a
// whole-number field (yaml.v3 truncates 2.9 to 2), and unknown fields where
// the decoder does not check them (Node.Decode). ParseScenario and ParseSweep
// therefore run it after a successful decode too.
func locateError(data []byte, t reflect.Type, prefix string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil
	}
	return locateNode(&doc, t, prefix)
}

// locateNode is locateError over a parsed node.
func locateNode(n *yaml.Node, t reflect.Type, prefix string) error {
	budget := locateBudget
	return locateIn(n, t, prefix, &budget, 0)
}

var nodeType = reflect.TypeOf(yaml.Node{})

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func locateIn(n *yaml.Node, t reflect.Type, path string, budget *int, depth int) error {
	*budget--
	if *budget < 0 || depth > 64 || n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return locateIn(n.Content[0], t, path, budget, depth+1)
	case yaml.AliasNode:
		return locateIn(n.Alias, t, path, budget, depth+1)
	}
	if n.ShortTag() == "!!null" {
		return nil // yaml leaves the zero value
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return nil // decoded later, by its own rules
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch {
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping, got a %s (line %d)", orTop(path), nodeKind(n), n.Line)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := locateIn(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), budget, depth+1); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Struct && !custom:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping with the fields %s, got a %s (line %d)",
				orTop(path), strings.Join(fieldTags(t), ", "), nodeKind(n), n.Line)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.ShortTag() == "!!merge" {
				if err := locateMerge(v, t, path, budget, depth+1); err != nil {
					return err
				}
				continue
			}
			ft, ok := fieldTypeByTag(t, k.Value)
			if !ok {
				return fmt.Errorf("%s: unknown field (line %d); valid here: %s",
					join(path, k.Value), k.Line, strings.Join(fieldTags(t), ", "))
			}
			if err := locateIn(v, ft, join(path, k.Value), budget, depth+1); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := locateIn(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), budget, depth+1); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := decodeLeaf(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return decodeLeaf(n, t, path)
}

// locateMerge follows a merge key (<<: *anchor or <<: [*a, *b]).
func locateMerge(v *yaml.Node, t reflect.Type, path string, budget *int, depth int) error {
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			if err := locateIn(c, t, path, budget, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return locateIn(v, t, path, budget, depth)
}

var lineRE = regexp.MustCompile(`line \d+: `)

// decodeLeaf decodes one value into a fresh value of type t and returns an
// error naming path and what the field accepts when that fails.
func decodeLeaf(n *yaml.Node, t reflect.Type, path string) error {
	v := reflect.New(t)
	err := n.Decode(v.Interface())
	if err == nil {
		if !wholeNumber(t, n) {
			return fmt.Errorf("%s: want %s, got %q (line %d)", orTop(path), describeType(t), n.Value, n.Line)
		}
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) || n.Kind != yaml.ScalarNode {
		got := nodeKind(n)
		if n.Kind == yaml.ScalarNode {
			got = fmt.Sprintf("%q", n.Value)
		}
		return fmt.Errorf("%s: want %s, got %s (line %d)", orTop(path), describeType(t), got, n.Line)
	}
	msg := lineRE.ReplaceAllString(cleanYAMLError(err), "")
	return fmt.Errorf("%s: %s (line %d)", orTop(path), msg, n.Line)
}

func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(ByteSize(0)):
		return "a size such as 4KiB, 64MiB or 1GiB"
	case reflect.TypeOf(Rate(0)):
		return "a rate such as 100MB/s or 1Gbit/s"
	case reflect.TypeOf(Duration(0)):
		return "a duration such as 10ms or 1.5s"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		return "a whole number between 0 and 2^64-1"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list such as [cold, precopy]"
		}
		return "a list"
	}
	return "a " + t.String()
}

// wholeNumber reports false for a number yaml.v3 would truncate or wrap into
// the whole-number type t: a fraction (2.9 becomes 2), or a float beyond 2^53.
func wholeNumber(t reflect.Type, n *yaml.Node) bool {
	if !isInt(t) || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
		return true
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	return err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return t != reflect.TypeOf(Duration(0)) && t != reflect.TypeOf(ByteSize(0))
	}
	return false
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "document"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// fieldTypeByTag returns the type of t's field whose yaml name is name.
func fieldTypeByTag(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag == name && tag != "" && tag != "-" {
			return t.Field(i).Type, true
		}
	}
	return nil, false
}

// fieldTags lists the yaml names of t's fields in declaration order.
func fieldTags(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}
