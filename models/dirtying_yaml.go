package models

import (
	"bytes"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ProfiledScenario rewrites a scenario file (orig) with its memory and
// workload replaced by the profile's fit, keeping every other field and its
// comments: the scenario the simulator (and `migrlab compare`) then
// predicts the app's migrations from. source names the profile file for
// the comment.
func ProfiledScenario(orig []byte, p DirtyingProfile, source string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(orig, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("profile: the scenario file is not a mapping")
	}
	root := doc.Content[0]
	mem, wl := fitNodes(p.Fit)
	note := fmt.Sprintf("Measured by `migrlab profile` on %s at %s (%s): %s resident; the fitted\n"+
		"curve is within %.0f %% of the measured one at every window from %gs to %gs.",
		p.Host, p.Created, source, p.Resident, 100*p.Fit.MaxError, p.Curve[0].WindowS, p.Curve[len(p.Curve)-1].WindowS)
	if g := p.GrowthWarning(); g != "" {
		note += "\nWarning: " + g + "."
	}
	setKey(root, "memory", mem, note)
	setKey(root, "workload", wl, "")
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// setKey replaces the value of key in mapping m (and the key's comment,
// which described the old value), or appends key: v.
func setKey(m *yaml.Node, key string, v *yaml.Node, comment string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i].HeadComment, m.Content[i].LineComment, m.Content[i+1] = comment, "", v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key, HeadComment: comment}, v)
}

// fitNodes renders the fit's memory and workload in the scenario's units
// (KiB for sizes, KiB/s for rates: exact for 4 KiB pages).
func fitNodes(f DirtyingFit) (*yaml.Node, *yaml.Node) {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	mem := mapping("size", kib(f.Memory.Size), "page_size", kib(f.Memory.PageSize))
	if f.Memory.Growing() {
		pts := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range f.Memory.Growth {
			pt := mapping("after", p.After.String(), "bytes", kib(p.Bytes))
			pt.Style = yaml.FlowStyle
			pts.Content = append(pts.Content, pt)
		}
		mem.Content = append(mem.Content, mapping("initial", kib(f.Memory.Initial)).Content...)
		mem.Content = append(mem.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "growth",
			HeadComment: "The resident memory after the migration starts (a container still filling)"}, pts)
	}
	if len(f.Memory.Marks) > 0 {
		pts := &yaml.Node{Kind: yaml.SequenceNode}
		for _, k := range f.Memory.Marks {
			pt := mapping("after", k.After.String(), "bytes", kib(k.Bytes))
			pt.Style = yaml.FlowStyle
			pts.Content = append(pts.Content, pt)
		}
		mem.Content = append(mem.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "marks",
			HeadComment: "Memory the kernel marked dirty whole (a mapping grown or merged), after the migration starts"}, pts)
	}
	if f.Memory.CheckTouch > 0 {
		mem.Content = append(mem.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "check_touch",
			HeadComment: "What the app's check writes right before the freeze: the final dump sends it"},
			&yaml.Node{Kind: yaml.ScalarNode, Value: kib(f.Memory.CheckTouch)})
	}
	w := f.Workload
	wl := mapping("dirty_rate", strconv.FormatFloat(float64(w.DirtyRate)/1024, 'f', 1, 64)+"KiB/s", "wws", kib(w.WWS))
	if w.HotFraction > 0 {
		wl.Content = append(wl.Content, mapping("hot_fraction", num(w.HotFraction), "hot_share", num(w.HotShare)).Content...)
	}
	if len(w.Curve.Points) > 0 {
		curve := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "points"}, curvePoints(w.Curve.Points)}}
		if len(w.Curve.Growing) > 0 {
			curve.Content = append(curve.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "growing",
				HeadComment: "What it dirtied beyond the pages it added while it grew"}, curvePoints(w.Curve.Growing))
		}
		wl.Content = append(wl.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "curve",
			HeadComment: "The measured curve the simulator follows; the fields above extend it beyond its last window"}, curve)
	}
	if rt := w.Runtime; rt.Memory > 0 {
		kv := []string{"memory", kib(rt.Memory), "hot", kib(rt.Hot)}
		comment := "The runtime's memory beside the working set: hot is dirty within any window, however short"
		if rt.Rate > 0 {
			kv = append(kv, "rate", strconv.FormatFloat(float64(rt.Rate)/1024, 'f', 1, 64)+"KiB/s")
			comment += "; the rest is written at rate (mostly dirty at the shortest window)"
		}
		wl.Content = append(wl.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "runtime", HeadComment: comment}, mapping(kv...))
	}
	return mem, wl
}

// kib is a size in KiB, as a scenario reads it.
func kib(b ByteSize) string { return strconv.FormatFloat(float64(b)/1024, 'f', -1, 64) + "KiB" }

// curvePoints is a curve's points as a YAML sequence, one flow mapping each.
func curvePoints(pts []DirtyPoint) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, p := range pts {
		pt := mapping("window", p.Window.String(), "bytes", kib(p.Bytes))
		pt.Style = yaml.FlowStyle
		seq.Content = append(seq.Content, pt)
	}
	return seq
}

// mapping builds a YAML mapping of key, value string pairs.
func mapping(kv ...string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[i]}, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[i+1]})
	}
	return m
}
