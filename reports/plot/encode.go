package plot

import "strings"

// textFor returns how a text is written for format: gonum's canvases take
// strings as they are, and three of them need help with ours (tick labels
// hold "µs", legend labels parentheses and underscores).
//
//   - PDF: vgpdf sets text in the fonts' cp1252 encoding without converting
//     it from UTF-8, so "µ" would come out as "Âµ": we convert.
//   - EPS: vgeps writes "(text) show" without escaping and embeds no font
//     (the printer's stand-in has only ASCII for sure): we escape \ ( ) and
//     write "µ" as "u", other non-ASCII as "?".
//   - TeX: vgtex passes text to LaTeX as markup: we escape its specials.
func textFor(f Format) func(string) string {
	switch f {
	case FormatPDF:
		return cp1252
	case FormatEPS:
		return epsText
	case FormatTeX:
		return texText
	}
	return func(s string) string { return s }
}

// cp1252Extra are the characters of cp1252 outside Latin-1.
var cp1252Extra = map[rune]byte{'€': 0x80, '…': 0x85, '–': 0x96, '—': 0x97, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95}

// cp1252 encodes s in Windows-1252 (Latin-1 plus cp1252Extra); other
// characters become "?".
func cp1252(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch c, ok := cp1252Extra[r]; {
		case r < 0x80 || (r >= 0xa0 && r <= 0xff):
			b = append(b, byte(r))
		case ok:
			b = append(b, c)
		default:
			b = append(b, '?')
		}
	}
	return string(b)
}

// epsText escapes s for a PostScript string and keeps it ASCII.
func epsText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == 'µ':
			b.WriteByte('u')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// texReplacer escapes LaTeX's special characters.
var texReplacer = strings.NewReplacer(`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `$`, `\$`, `&`, `\&`,
	`#`, `\#`, `_`, `\_`, `%`, `\%`, `^`, `\^{}`, `~`, `\~{}`)

// texText escapes s for LaTeX.
func texText(s string) string { return texReplacer.Replace(s) }
