package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// GroupKey is a record field [Summarize] groups by.
type GroupKey string

// Group keys, in their default order.
const (
	GroupScenario  GroupKey = "scenario"
	GroupTechnique GroupKey = "technique"
	GroupBackend   GroupKey = "backend"
	GroupRole      GroupKey = "role"
)

// DefaultGroupBy is what [Summarize] groups by when given no keys.
var DefaultGroupBy = []GroupKey{GroupScenario, GroupTechnique, GroupBackend}

// ParseGroupBy parses a comma-separated list of group keys ("scenario,technique");
// the error names the unknown key and lists the valid ones.
func ParseGroupBy(s string) ([]GroupKey, error) {
	var out []GroupKey
	for _, f := range strings.Split(s, ",") {
		k := GroupKey(strings.ToLower(strings.TrimSpace(f)))
		switch k {
		case "":
			continue
		case GroupScenario, GroupTechnique, GroupBackend, GroupRole:
			if slices.Contains(out, k) {
				return nil, fmt.Errorf("group by %q: %q given twice", s, k)
			}
			out = append(out, k)
		default:
			return nil, fmt.Errorf("group by %q: unknown key %q (valid: scenario, technique, backend, role)", s, k)
		}
	}
	return out, nil
}

// value returns the record's value of k.
func (k GroupKey) value(r models.Record) string {
	switch k {
	case GroupScenario:
		return r.Scenario
	case GroupTechnique:
		return r.Technique
	case GroupBackend:
		return r.Backend
	case GroupRole:
		return string(r.Role)
	}
	panic(fmt.Sprintf("reports: unknown group key %q", k))
}

// header is k's column heading.
func (k GroupKey) header() string {
	return strings.ToUpper(string(k[:1])) + string(k[1:])
}

// backendOrder is how tables order backends: prediction before measurement.
var backendOrder = []string{models.BackendAnalytic, models.BackendSim, models.BackendReal}

// orderer ranks the values of group keys: scenarios and roles by first
// appearance in the input, techniques in models.TechniqueNames order and
// backends analytic, sim, real; values not in a fixed list follow it in
// alphabetical order.
type orderer struct {
	seen map[GroupKey]map[string]int
}

// newOrderer records the first appearance of every scenario and role.
func newOrderer(records []models.Record) orderer {
	o := orderer{seen: map[GroupKey]map[string]int{GroupScenario: {}, GroupRole: {}}}
	for _, r := range records {
		for _, k := range []GroupKey{GroupScenario, GroupRole} {
			m := o.seen[k]
			if _, ok := m[k.value(r)]; !ok {
				m[k.value(r)] = len(m)
			}
		}
	}
	return o
}

// compare orders two values of key k.
func (o orderer) compare(k GroupKey, a, b string) int {
	switch k {
	case GroupTechnique:
		return compareListed(models.TechniqueNames, a, b)
	case GroupBackend:
		return compareListed(backendOrder, a, b)
	}
	m := o.seen[k]
	return m[a] - m[b]
}

// compareListed orders a and b by their index in list, unlisted values last
// and alphabetically.
func compareListed(list []string, a, b string) int {
	ia, ib := slices.Index(list, a), slices.Index(list, b)
	if ia < 0 {
		ia = len(list)
	}
	if ib < 0 {
		ib = len(list)
	}
	if ia != ib {
		return ia - ib
	}
	return strings.Compare(a, b)
}

// compareKeys orders two tuples of values of keys.
func (o orderer) compareKeys(keys []GroupKey, a, b []string) int {
	for i, k := range keys {
		if c := o.compare(k, a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}
