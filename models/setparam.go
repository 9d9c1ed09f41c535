package models

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// SetParam sets one scenario parameter by its dotted YAML path, for example
// "workload.dirty_rate" = "20MB/s" or "precopy.stop.max_rounds" = "8". The value
// is parsed exactly as the scenario file would parse it.
func SetParam(s *Scenario, path, value string) error {
	return setParam(reflect.ValueOf(s).Elem(), path, value, true)
}

// CheckParam reports whether path names a settable scenario parameter, with
// SetParam's error when it does not.
func CheckParam(path string) error {
	return setParam(reflect.ValueOf(&Scenario{}).Elem(), path, "", false)
}

func setParam(v reflect.Value, path, value string, set bool) error {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		f, ok := fieldByTag(v, p)
		if !ok {
			return fmt.Errorf("unknown parameter %q (at %q; valid here: %s)", path, p, strings.Join(tagsOf(v), ", "))
		}
		if i == len(parts)-1 {
			if !set {
				if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration(0)) {
					return fmt.Errorf("parameter %q is a group; set one of its fields: %s", path, strings.Join(tagsOf(f), ", "))
				}
				return nil
			}
			n := yaml.Node{Kind: yaml.ScalarNode, Value: value}
			if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String {
				items := strings.Split(value, ",")
				f.Set(reflect.ValueOf(items))
				return nil
			}
			if f.Kind() == reflect.Pointer {
				f.Set(reflect.New(f.Type().Elem()))
				f = f.Elem()
			}
			if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration(0)) {
				return fmt.Errorf("parameter %q is a group; set one of its fields: %s", path, strings.Join(tagsOf(f), ", "))
			}
			n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: value}).ShortTag()
			if !wholeNumber(f.Type(), &n) {
				return fmt.Errorf("parameter %q: want a whole number, got %q", path, value)
			}
			if err := n.Decode(f.Addr().Interface()); err != nil {
				return fmt.Errorf("parameter %q: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
			}
			return nil
		}
		if f.Kind() != reflect.Struct {
			return fmt.Errorf("unknown parameter %q: %q has no fields", path, strings.Join(parts[:i+1], "."))
		}
		v = f
	}
	return nil
}

func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagsOf(v reflect.Value) []string {
	var out []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	sort.Strings(out)
	return out
}
