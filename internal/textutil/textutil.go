// Package textutil holds small text helpers shared across msilab.
package textutil

// Truncate returns s cut to its first n bytes followed by "...", or s
// itself when it is no longer than n: for quoting command lines, output
// and replies in error messages.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
