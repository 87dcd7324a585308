package remediation

import (
	"strings"

	"github.com/msilab/msilab/msilog"
)

// FindingSourceUnavailable: a repair, change or removal needs the
// product's source, and the last used source is gone (exit 1612).
const FindingSourceUnavailable = "source-unavailable"

// sigSourceFailed is a SOURCEMGMT line that gives up on a source.
var sigSourceFailed = Sig{"SOURCEMGMT: line that fails to resolve or rejects a source", func(l msilog.Line) bool {
	if l.Kind != msilog.KindFact || l.Fact != msilog.FactSourceMgmt {
		return false
	}
	a := strings.ToLower(l.Arg(0))
	return strings.Contains(a, "failed to resolve source") || strings.Contains(a, "source is invalid") ||
		strings.Contains(a, "could not find") || strings.Contains(a, "failed to")
}}

func init() {
	RegisterCause(Cause{
		ID:      FindingSourceUnavailable,
		Rank:    160,
		Summary: `the installation source is not available: a repair, change or removal needs the original package and the last used source is gone (1706, exit 1612)`,
		Label:   "D (1612, 1706), R (SOURCEMGMT lines)",
		Sources: []string{"docs/evidence.md#E-source-absent", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages",
			"https://github.com/wixtoolset/issues/issues/5980"},
		Scenario: "source-missing-uninstall",
		NoFix: "the install needs the product's original package (the same package code), which nothing on the host holds any more: " +
			"run the repair or removal from a copy of it (msiexec /x path\\to\\package.msi, msiexec /fv path\\to\\package.msi), " +
			"or put it back at the last used source (the product's SourceList LastUsedSource and PackageName) and run it again",
		RuledOutBy: "the package present at the last used source (LastUsedSource under the product's SourceList key); " +
			"the .ipi and package 2203 lines of such a log are the engine's look-ups, not the 2503 family",
		Signature: []Sig{Exit(1612), Msg(1706), Note(1706), Msg(1612), sigSourceFailed},
		Log: func(in *Input) *LogVerdict {
			strong := in.Firsts(AnyOf(Msg(1706), Note(1706)), Msg(1612))
			src := in.All(sigSourceFailed)
			if len(src) > 2 {
				src = src[:2]
			}
			if len(strong) == 0 && in.Exit != 1612 && len(src) == 0 {
				return nil
			}
			conf := 0.9
			if len(strong) == 0 && in.Exit != 1612 {
				conf = 0.45 // SOURCEMGMT gave up on a source; whether another was found is not in the input
			}
			return &LogVerdict{Confidence: conf, Lines: append(append(strong, src...), in.exitLines()...),
				RuledOut: []string{"temp-acl and the 2503 family: 2203 on the package or the .ipi with a not-found code is a look-up, not a denied marker"}}
		},
	})
}
