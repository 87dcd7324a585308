package installer

import "fmt"

// Two number spaces share numbers (docs/evidence.md#E-numbers): msiexec exit codes and
// Windows Installer messages. Message 1601 is "out of disk space"; exit
// code 1601 is "the service could not be accessed". They are distinct types.

// ExitCode is what msiexec returns (D: "MsiExec.exe and InstMsi.exe Error Messages").
type ExitCode int

// Exit codes the engine returns.
const (
	ExitSuccess               ExitCode = 0
	ExitServiceFailure        ExitCode = 1601 // ERROR_INSTALL_SERVICE_FAILURE
	ExitInstallFailure        ExitCode = 1603 // ERROR_INSTALL_FAILURE
	ExitUnknownProduct        ExitCode = 1605 // ERROR_UNKNOWN_PRODUCT
	ExitSourceAbsent          ExitCode = 1612 // ERROR_INSTALL_SOURCE_ABSENT
	ExitAlreadyRunning        ExitCode = 1618 // ERROR_INSTALL_ALREADY_RUNNING
	ExitPackageOpenFailed     ExitCode = 1619 // ERROR_INSTALL_PACKAGE_OPEN_FAILED
	ExitPackageInvalid        ExitCode = 1620 // ERROR_INSTALL_PACKAGE_INVALID
	ExitPackageRejected       ExitCode = 1625 // ERROR_INSTALL_PACKAGE_REJECTED
	ExitTempUnwritable        ExitCode = 1632 // ERROR_INSTALL_TEMP_UNWRITABLE
	ExitProductVersion        ExitCode = 1638 // ERROR_PRODUCT_VERSION
	ExitInvalidCommandLine    ExitCode = 1639 // ERROR_INVALID_COMMAND_LINE
	ExitSuccessRebootRequired ExitCode = 3010 // ERROR_SUCCESS_REBOOT_REQUIRED
	ExitRebootInitiated       ExitCode = 1641 // ERROR_SUCCESS_REBOOT_INITIATED
)

var exitNames = map[ExitCode]string{
	ExitSuccess:               "ERROR_SUCCESS",
	ExitServiceFailure:        "ERROR_INSTALL_SERVICE_FAILURE",
	ExitInstallFailure:        "ERROR_INSTALL_FAILURE",
	ExitUnknownProduct:        "ERROR_UNKNOWN_PRODUCT",
	ExitSourceAbsent:          "ERROR_INSTALL_SOURCE_ABSENT",
	ExitAlreadyRunning:        "ERROR_INSTALL_ALREADY_RUNNING",
	ExitPackageOpenFailed:     "ERROR_INSTALL_PACKAGE_OPEN_FAILED",
	ExitPackageInvalid:        "ERROR_INSTALL_PACKAGE_INVALID",
	ExitPackageRejected:       "ERROR_INSTALL_PACKAGE_REJECTED",
	ExitTempUnwritable:        "ERROR_INSTALL_TEMP_UNWRITABLE",
	ExitProductVersion:        "ERROR_PRODUCT_VERSION",
	ExitInvalidCommandLine:    "ERROR_INVALID_COMMAND_LINE",
	ExitSuccessRebootRequired: "ERROR_SUCCESS_REBOOT_REQUIRED",
	ExitRebootInitiated:       "ERROR_SUCCESS_REBOOT_INITIATED",
}

func (c ExitCode) String() string {
	if n, ok := exitNames[c]; ok {
		return fmt.Sprintf("%d %s", int(c), n)
	}
	return fmt.Sprintf("%d", int(c))
}

// Message is a Windows Installer error or UI message number (D: "Windows
// Installer Error Messages"); 2xxx are internal errors.
type Message int

// Messages the engine raises.
const (
	MsgDirPrivileges      Message = 1303
	MsgFileWrite          Message = 1310
	MsgAnotherInstall     Message = 1500
	MsgNoSource           Message = 1706
	MsgServiceAccess      Message = 1719
	MsgProgramNotRun      Message = 1721
	MsgProgramFailed      Message = 1722
	MsgDLLNotRun          Message = 1723
	MsgAdminToRemove      Message = 1730
	MsgAllUsersPrivilege  Message = 1925
	MsgCannotOpenDB       Message = 2203
	MsgFinalizeNoInstall  Message = 2502
	MsgRunScriptNotMarked Message = 2503
	MsgServerError        Message = 2755
)

// messageText is the text of each message (D: "Windows Installer Error
// Messages"; [n] are its arguments). 1722's as logs print it: two spaces
// before "Action", one after the command (R: Particular/ServicePulse#139,
// microsoft/winget-pkgs#373544); 1721's with "Action:" after one space
// (R: stascorp/rdpwrap#409 and the logs of docs/evidence.md#E-custom-action-1721);
// 1723's as 1722's (G).
var messageText = map[Message]string{
	MsgDirPrivileges:      "The installer has insufficient privileges to access this directory: [2].  The installation cannot continue.  Log on as administrator or contact your system administrator.",
	MsgFileWrite:          "Error writing to file: [3].  System error [2].  Verify that you have access to that directory.",
	MsgAnotherInstall:     "Another installation is in progress. You must complete that installation before continuing this one.",
	MsgNoSource:           "An installation package for the product [2] cannot be found. Try the installation again using a valid copy of the installation package '[3]'.",
	MsgServiceAccess:      "The Windows Installer Service could not be accessed. This can occur if the Windows Installer is not correctly installed. Contact your support personnel for assistance.",
	MsgProgramNotRun:      "There is a problem with this Windows Installer package. A program required for this install to complete could not be run. Contact your support personnel or package vendor. Action: [2], location: [3], command: [4] ",
	MsgProgramFailed:      "There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. Contact your support personnel or package vendor.  Action [2], location: [3], command: [4] ",
	MsgDLLNotRun:          "There is a problem with this Windows Installer package. A DLL required for this install to complete could not be run. Contact your support personnel or package vendor.  Action [2], entry: [3], library: [4] ",
	MsgAdminToRemove:      "You must be an Administrator to remove this application. To remove this application, you can log on as an Administrator, or contact your technical support group for assistance.",
	MsgAllUsersPrivilege:  "You do not have sufficient privileges to complete this installation for all users of the machine. Log on as administrator and then retry this installation.",
	MsgCannotOpenDB:       "Database: [2]. Cannot open database file. System error [3].",
	MsgFinalizeNoInstall:  "Called InstallFinalize when no install in progress.",
	MsgRunScriptNotMarked: "Called RunScript when not marked in progress.",
	MsgServerError:        "Server returned unexpected error [2] attempting to install package [3].",
}

// Text is the message's template text.
func (m Message) Text() string { return messageText[m] }

// Internal reports a 2xxx internal error: a UI shows it as "The installer
// has encountered an unexpected error ... The error code is N." (D).
func (m Message) Internal() bool { return m >= 2000 && m < 3000 }

func (m Message) String() string { return fmt.Sprintf("message %d", int(m)) }
