package ops

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Windows Installer ops: run msiexec in an install context and bring back
// the exit code, the verbose log and the new MsiInstaller events.
const (
	OpMsiInstall   = "msi.install"
	OpMsiUninstall = "msi.uninstall"
	OpPathHash     = "path.hash"
)

// Install contexts (docs/architecture.md, "Install contexts").
const (
	// ContextAdminElevated: the WinRM session's own full admin token.
	ContextAdminElevated = "admin-elevated"
	// ContextAdminFiltered: the session's admin account logged on
	// interactively, which gives its UAC-filtered token.
	ContextAdminFiltered = "admin-filtered"
	// ContextStandardUser: the lab's non-admin account logged on interactively.
	ContextStandardUser = "standard-user"
	// ContextSystem: LocalSystem through a scheduled task.
	ContextSystem = "system"
)

// Contexts lists the install contexts.
var Contexts = []string{ContextAdminElevated, ContextAdminFiltered, ContextStandardUser, ContextSystem}

// Logons: how a context's token is obtained on a real host. The simulated
// host builds the token Windows gives each of them (win.LogonType), so a
// way of running msiexec that Windows Installer refuses fails there too
// (docs/evidence.md#E-service-access).
const (
	// LogonWinRMNetwork is the WinRM session's own token: a network logon
	// (NT AUTHORITY\NETWORK).
	LogonWinRMNetwork = "winrm-network"
	// LogonInteractive is LogonUser(LOGON32_LOGON_INTERACTIVE) with the
	// account's password (from the batch's logons), its profile loaded:
	// NT AUTHORITY\INTERACTIVE; for an administrator, the UAC-filtered token.
	LogonInteractive = "interactive-logon"
	// LogonS4UTask is a scheduled task with an S4U logon and the limited run
	// level: NT AUTHORITY\BATCH. Kept to reproduce what it meets: Windows
	// Installer refuses a non-admin's batch logon (exit 1601).
	LogonS4UTask = "s4u-task"
	// LogonSystemTask is a scheduled task run as LocalSystem.
	LogonSystemTask = "system-task"
)

// ContextLogons lists the logons each context can use; the first is its
// default (what the lab uses).
var ContextLogons = map[string][]string{
	ContextAdminElevated: {LogonWinRMNetwork},
	ContextAdminFiltered: {LogonInteractive, LogonS4UTask},
	ContextStandardUser:  {LogonInteractive, LogonS4UTask},
	ContextSystem:        {LogonSystemTask},
}

// ContextLogon is the default logon of a context ("" when unknown).
func ContextLogon(context string) string {
	if context == "" {
		context = ContextAdminElevated
	}
	if l := ContextLogons[context]; len(l) > 0 {
		return l[0]
	}
	return ""
}

// DefaultStandardUser is the lab's non-admin account (user.ensure creates it).
const DefaultStandardUser = "msilab-user"

// UI levels of an msiexec run.
const (
	UINone = "none" // /qn: what every unattended run uses
	UIFull = "full" // the full UI; a UAC prompt, where one appears, is accepted (simulated hosts only)
)

// MsiInstallArgs runs `msiexec /i Package /qn /norestart /L*v <log>` as Context.
type MsiInstallArgs struct {
	// Package is the .msi's path on the host; every context must be able to read it.
	Package string `json:"package"`
	// Context is one of Contexts ("" is admin-elevated).
	Context string `json:"context,omitempty"`
	// User is the account of the standard-user context ("" is DefaultStandardUser).
	User string `json:"user,omitempty"`
	// Properties are public properties for the command line (NAME=value):
	// names are upper-case letters, digits, '_' and '.'; values have no '"'.
	Properties map[string]string `json:"properties,omitempty"`
	// UI is UINone ("") or UIFull.
	UI string `json:"ui,omitempty"`
	// Logon is how the context's token is obtained: one of
	// ContextLogons[Context] ("" is the context's default). The
	// interactive logon needs the account's password in the batch's logons.
	Logon string `json:"logon,omitempty"`
	// TimeoutSeconds bounds the run (0 is 900; at most 7200).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// MsiUninstallArgs runs `msiexec /x Product /qn /norestart /L*v <log>` as Context.
type MsiUninstallArgs struct {
	// Product is a ProductCode GUID ({...}) or the path of an .msi on the host.
	Product        string            `json:"product"`
	Context        string            `json:"context,omitempty"`
	User           string            `json:"user,omitempty"`
	Properties     map[string]string `json:"properties,omitempty"`
	UI             string            `json:"ui,omitempty"`
	Logon          string            `json:"logon,omitempty"`
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"`
}

// MsiRun is what msi.install and msi.uninstall return. A failed install is
// a result with its exit code, not an op error: op errors are for runs
// that could not be made at all (bad arguments, a missing user).
type MsiRun struct {
	Action      string `json:"action"` // "install" or "uninstall"
	Context     string `json:"context"`
	Logon       string `json:"logon"`        // how the context's token was obtained (ContextLogons)
	User        string `json:"user"`         // HOST\name (or NT AUTHORITY\SYSTEM) msiexec ran as
	CommandLine string `json:"command_line"` // the msiexec command line, log path included
	// ExitCode is msiexec's exit code (the full 32-bit value, not modulo 256).
	ExitCode int `json:"exit_code"`
	// Log is the verbose log, decoded from UTF-16 or ANSI ("" when none was written).
	Log string `json:"log"`
	// Events are the MsiInstaller records of the Application log written during the run.
	Events []Event `json:"events"`
	// TimedOut is true when the run was stopped at its timeout (ExitCode is then 1460).
	TimedOut bool `json:"timed_out,omitempty"`
	// Rules are the simulated engine's rules that decided the outcome
	// (simulated hosts; absent on real ones): what calibration names when
	// a real host disagrees.
	Rules []string `json:"rules,omitempty"`
	// RebootRequired is true when the run succeeded and a restart is due:
	// ExitCode 3010 (ERROR_SUCCESS_REBOOT_REQUIRED) or 1641
	// (ERROR_SUCCESS_REBOOT_INITIATED). msi.install and msi.uninstall pass
	// /norestart, so a package that asks for a restart never restarts the
	// host in the middle of a batch (docs/evidence.md#E-reboot).
	RebootRequired bool `json:"reboot_required,omitempty"`
}

// Exit codes of a successful run that needs a restart (D: "MsiExec.exe and
// InstMsi.exe Error Messages").
const (
	ExitRebootRequired  = 3010 // ERROR_SUCCESS_REBOOT_REQUIRED
	ExitRebootInitiated = 1641 // ERROR_SUCCESS_REBOOT_INITIATED
)

// RebootRequired reports an msiexec exit code that means "succeeded, a
// restart is due".
func RebootRequired(exitCode int) bool {
	return exitCode == ExitRebootRequired || exitCode == ExitRebootInitiated
}

// PathHashArgs names a file to hash.
type PathHashArgs struct {
	Path string `json:"path"`
}

// PathHash is a file's size and SHA-256 (uppercase hex, as Get-FileHash
// prints it); Exists is false for a missing file.
type PathHash struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// propertyName is a public property's name as msi.install passes it:
// upper-case letters, digits, '_' and '.', from a letter (public
// properties have no lower-case letter: D, "Public Properties").
var propertyName = regexp.MustCompile(`^[A-Z][A-Z0-9_.]*$`)

// CheckProperty says why msi.install refuses a property (nil: it takes
// it). A value is one quoted literal on msiexec's command line, so '"'
// (which would end it) and control characters (\p{Cc}: C0, DEL, C1) are
// refused rather than escaped, by the module as by the simulated host.
func CheckProperty(name, value string) error {
	if !propertyName.MatchString(name) {
		return fmt.Errorf("property name %q: public properties are upper-case letters, digits, '_' and '.', from a letter", name)
	}
	if i := strings.IndexFunc(value, func(r rune) bool { return r == '"' || unicode.IsControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(value[i:])
		return fmt.Errorf("property %s: %q at byte %d would break msiexec's command line (no '\"' or control character)", name, r, i)
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("property %s: the value is not valid UTF-8", name)
	}
	return nil
}
