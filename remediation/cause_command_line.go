package remediation

// FindingCommandLine: msiexec's command line is invalid (exit 1639, its
// usage box) or names a file that does not exist (exit 2).
const FindingCommandLine = "command-line-invalid"

func init() {
	RegisterCause(Cause{
		ID:      FindingCommandLine,
		Rank:    190,
		Summary: `msiexec's command line is invalid (exit 1639 and its usage text) or names a file that does not exist (exit 2): nothing was installed`,
		Label:   "D (1639, and 2 as ERROR_FILE_NOT_FOUND), G (exit 2 from a command line naming a missing file)",
		Sources: []string{"docs/evidence.md#E-command-line", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes",
			"https://learn.microsoft.com/en-us/windows/win32/msi/command-line-options"},
		NoScenario: "none yet: the runner builds every command line itself",
		NoFix:      "correct the command line: quote paths with spaces, pass PROPERTY=value pairs after the options, give the package's full path",
		RuledOutBy: "the same command line run by hand from cmd.exe without the usage box appearing",
		Signature:  []Sig{Exit(1639), Msg(1639)},
		Log: func(in *Input) *LogVerdict {
			lines := in.Firsts(Msg(1639))
			switch {
			case in.Exit == 1639 || len(lines) > 0:
				return &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...),
					Notes: []string{"1639 is ERROR_INVALID_COMMAND_LINE (D); msiexec shows its usage text for it"}}
			case in.Exit == 2:
				return &LogVerdict{Confidence: 0.45, Lines: in.exitLines(),
					Notes: []string{"exit 2 is ERROR_FILE_NOT_FOUND (D): a file the command line names does not exist (G): check the package path and the log folder"}}
			}
			return nil
		},
	})
}
