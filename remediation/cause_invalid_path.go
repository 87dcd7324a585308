package remediation

import (
	"fmt"

	"github.com/msilab/msilab/msilog"
)

// FindingInvalidPath: a folder path has an invalid character (Note 1324):
// a relative path such as .\dir, or a path with < > | " ? *.
const FindingInvalidPath = "path-invalid-character"

func init() {
	RegisterCause(Cause{
		ID:         FindingInvalidPath,
		Rank:       210,
		Summary:    `a folder path given to the install contains an invalid character (1324): often a relative path (.\dir) or quotes inside a PROPERTY=value`,
		Label:      "D (1324), G (relative paths as its usual cause)",
		Sources:    []string{"docs/evidence.md#E-command-line", "https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		NoScenario: "none yet: the runner passes only absolute paths",
		NoFix:      "pass an absolute path without < > | \" ? * (resolve .\\dir before calling msiexec)",
		RuledOutBy: "the property's value (the path 1324 names) being an absolute path with valid characters",
		Signature:  []Sig{Note(1324), Msg(1324)},
		Log: func(in *Input) *LogVerdict {
			l, ok := in.First(AnyOf(Note(1324), Msg(1324)))
			if !ok {
				return nil
			}
			return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{l}, in.exitLines()...),
				Notes: []string{fmt.Sprintf("1324: the folder path %q contains an invalid character (D)", l.Arg(0))}}
		},
	})
}
