package models

import (
	"bytes"
	"fmt"
	"regexp"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlSyntaxRE matches yaml.v3's syntax errors: "yaml: line N: message" (no line when it is 0).
var yamlSyntaxRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// LocateSyntaxError returns a YAML syntax error of data that names the line
// and column where the problem is ("line 15, column 3: did not find expected
// key"); other errors (type errors, unknown fields) come back as they are.
//
// yaml.v3 names the line where the block around the problem began (a
// mis-indented key on line 15 of a mapping that starts on line 4 is reported
// as "line 3"), so the line is found again here: the shortest prefix of data,
// in whole lines, that fails to parse with the same message ends on the
// problem's line; the column is that line's first non-blank character.
func LocateSyntaxError(data []byte, err error) error {
	m := yamlSyntaxRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	msg := m[2]
	lines := bytes.SplitAfter(data, []byte("\n"))
	failsAt := func(prefix []byte) bool { // prefix fails with msg
		var node yaml.Node
		perr := yaml.Unmarshal(prefix, &node)
		if perr == nil {
			return false
		}
		pm := yamlSyntaxRE.FindStringSubmatch(perr.Error())
		return pm != nil && pm[2] == msg
	}
	if !failsAt(data) {
		return err
	}
	// The line: lines[:lo] do not fail with msg, lines[:hi] do.
	lo, hi := 0, len(lines)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if failsAt(bytes.Join(lines[:mid], nil)) {
			hi = mid
		} else {
			lo = mid
		}
	}
	// The column, the same way within the line.
	before := bytes.Join(lines[:hi-1], nil)
	line := bytes.TrimRight(lines[hi-1], "\r\n")
	clo, chi := 0, len(line)
	if !failsAt(append(append([]byte(nil), before...), line...)) {
		chi = -1 // only the line break makes it fail: point at the line's first character
	}
	for chi > 0 && chi-clo > 1 {
		mid := (clo + chi) / 2
		if failsAt(append(append([]byte(nil), before...), line[:mid]...)) {
			chi = mid
		} else {
			clo = mid
		}
	}
	col := len(line) - len(bytes.TrimLeft(line, " \t")) + 1
	if chi > 0 {
		col = utf8.RuneCount(line[:chi])
	}
	return fmt.Errorf("line %d, column %d: %s", hi, col, msg)
}
