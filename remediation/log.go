package remediation

import (
	"regexp"
	"strconv"

	"github.com/msilab/msilab/msilog"
)

// DecodeLog decodes a whole log held in memory: msilog.Decode.
func DecodeLog(b []byte) string { return msilog.Decode(b) }

// messagePattern finds Windows Installer message numbers in a verbose
// log: "Note: 1: 2503", "DEBUG: Error 2503:", "Error 1925." (the pattern
// of scenarios/runner's Messages, which this package cannot import).
var messagePattern = regexp.MustCompile(`Note: 1: (\d{4})\b|\bError (\d{4})[.:]`)

// Messages lists the message numbers a log shows, in order, each
// occurrence once per line.
func Messages(log string) []int {
	var out []int
	for _, m := range messagePattern.FindAllStringSubmatch(log, -1) {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	return out
}
