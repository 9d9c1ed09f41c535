package models

import (
	"strings"
	"testing"
)

// TestSyntaxErrorLocation: a YAML syntax error names the line and column of
// the problem, not the line where the block around it began (yaml.v3 said
// "line 3" for every case below but the last two).
func TestSyntaxErrorLocation(t *testing.T) {
	head := "# a scenario\n# with comments\n# on several lines\nname: bad\nmemory:\n  size: 512MiB\n  page_size: 4KiB\n" +
		"workload:\n  dirty_rate: 20MB/s\nnetwork:\n  bandwidth: 100MB/s\n  latency: 0.5ms\nprecopy:\n" // 13 lines
	cases := []struct {
		name, yaml, want string
	}{
		{"key indented less than its siblings, line 14", strings.TrimPrefix(head, "# a scenario\n") + "  stop: {threshold: 256KiB}\n max_rounds: 3\n",
			"line 14, column 2: did not find expected key"},
		{"key indented less than the key before, line 15", head + "   stop: {threshold: 256KiB}\n  max_rounds: 3\n",
			"line 15, column 3: did not find expected key"},
		{"a second colon", "name: x\nmemory:\n  size: 1GiB\n  page_size: 4KiB: 3\n",
			"line 4, column 18: mapping values are not allowed in this context"},
		{"a tab", "name: x\n\tmemory: 1\n", "line 2, column 1: found a tab character that violates indentation"},
		{"an unclosed quote", "name: \"x\nmemory: {size: 1GiB}\n", "line 1, column 7: found unexpected end of stream"},
	}
	for _, c := range cases {
		_, err := ParseScenario(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
	_, err := ParseSweep(strings.NewReader("name: s\nbase:\n  name: b\n  memory: {size: 1GiB}\n grid: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 5, column 2") {
		t.Errorf("sweep: %v, want line 5, column 2", err)
	}
}
