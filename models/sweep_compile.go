package models

import (
	"reflect"
	"strings"
)

// compiledAxis sets an axis's values by reflection on a field found once,
// to values decoded once: Sweep.Scenario parses the value's text and walks
// the field path again for every scenario (SetParam), a third of the cost of
// building a scenario of a large grid.
type compiledAxis struct {
	index []int           // the field, from Scenario
	kind  reflect.Kind    // the field's kind
	vals  []reflect.Value // each value, decoded (a pointer field's: the pointee)
	names []string        // "field=value", for the scenario's name
}

// compileAxes prepares every axis of s, or returns nil when one cannot be
// (a value SetParam refuses, or a field of a kind it does not copy safely):
// Scenario then builds the scenarios.
func compileAxes(s Sweep) []compiledAxis {
	out := make([]compiledAxis, len(s.Axes))
	for k, a := range s.Axes {
		index, ok := fieldIndex(reflect.TypeOf(Scenario{}), a.Param)
		if !ok {
			return nil
		}
		c := compiledAxis{index: index}
		for _, v := range a.Values {
			probe := s.Base
			if err := SetParam(&probe, a.Param, v); err != nil {
				return nil
			}
			f := reflect.ValueOf(&probe).Elem().FieldByIndex(index)
			c.kind = f.Kind()
			switch {
			case c.kind == reflect.Pointer && !f.IsNil() && scalar(f.Elem().Kind()):
				f = f.Elem()
			case c.kind == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			case scalar(c.kind):
			default:
				return nil
			}
			c.vals = append(c.vals, f)
			c.names = append(c.names, a.Param[strings.LastIndex(a.Param, ".")+1:]+"="+v)
		}
		out[k] = c
	}
	return out
}

func scalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// fieldIndex finds a dotted yaml path's field in t, as setParam walks it.
func fieldIndex(t reflect.Type, path string) ([]int, bool) {
	var index []int
	for _, p := range strings.Split(path, ".") {
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		found := false
		for i := 0; i < t.NumField(); i++ {
			if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == p {
				index, t, found = append(index, i), t.Field(i).Type, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return index, true
}

// scenarioAt builds the i-th scenario of the grid as Scenario does, with the
// compiled axes.
func (s Sweep) scenarioAt(axes []compiledAxis, i int) (Scenario, error) {
	sc := s.Base
	sc.Techniques = append([]string(nil), s.Base.Techniques...)
	v := reflect.ValueOf(&sc).Elem()
	names := make([]string, len(axes))
	for k := len(axes) - 1; k >= 0; k-- {
		a := &axes[k]
		j := i % len(a.vals)
		i /= len(a.vals)
		f := v.FieldByIndex(a.index)
		switch a.kind {
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(a.vals[j])
			f.Set(p)
		case reflect.Slice:
			f.Set(reflect.AppendSlice(reflect.MakeSlice(f.Type(), 0, a.vals[j].Len()), a.vals[j]))
		default:
			f.Set(a.vals[j])
		}
		names[k] = a.names[j]
	}
	return s.finishScenario(sc, names)
}
