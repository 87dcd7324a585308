package remediation

// FindingPackageOpen: the package could not be opened (exit 1619;
// docs/evidence.md#E-package-open).
const FindingPackageOpen = "package-open-failed"

// sigPackage2203 is a 2203 on a package (not the .ipi marker).
var sigPackage2203 = Note(2203, ArgNot(ArgHas(0, ".ipi")))

func init() {
	RegisterCause(Cause{
		ID:      FindingPackageOpen,
		Rank:    200,
		Summary: `the installation package could not be opened (exit 1619): the path is wrong, the download incomplete, or the file not readable by the installing account`,
		Label:   "D (1619), G (the 2203 on the package beside it)",
		Sources: []string{"docs/evidence.md#E-package-open", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes",
			"https://github.com/microsoft/winget-cli/issues/2419"},
		NoScenario: "none yet: the built-in scenarios install the lab's own packages",
		NoFix:      "give msiexec a package it can open: check the path (2203's 2:), download it again, and let the installing account read it",
		RuledOutBy: "the package opening in another tool (Orca, msiinfo) from the same account; exit 1620 is a file that opens but is not a valid package",
		Signature:  []Sig{Exit(1619), Msg(1619), sigPackage2203},
		Log: func(in *Input) *LogVerdict {
			lines := in.Firsts(Msg(1619))
			if in.Exit != 1619 && len(lines) == 0 {
				return nil
			}
			if p, ok := in.First(sigPackage2203); ok {
				lines = append(lines, p)
			}
			return &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...),
				Notes: []string{"1619 is ERROR_INSTALL_PACKAGE_OPEN_FAILED (D)"}}
		},
	})
}
