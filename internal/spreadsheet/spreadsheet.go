// Package spreadsheet keeps what Vigil exports as CSV safe to open in a
// spreadsheet: a cell someone typed (a username a stranger tried, a
// camera's name, an invoice line) must stay text, never run as a formula.
package spreadsheet

import "strings"

// Text returns v with a leading apostrophe when it begins with a
// character a spreadsheet takes for the start of a formula (=, +, -, @,
// tab or carriage return), and unchanged otherwise.
func Text(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
