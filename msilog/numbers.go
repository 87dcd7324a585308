package msilog

import (
	"fmt"
	"strconv"
	"strings"
)

// Meanings of the numbers a log shows, for an answer that cannot name a
// cause: Windows Installer messages (D: "Windows Installer Error
// Messages", https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages;
// [n] are a note's arguments), msiexec exit codes (D: "MsiExec.exe and
// InstMsi.exe Error Messages", https://learn.microsoft.com/en-us/windows/win32/msi/error-codes)
// and system errors (D: "System Error Codes"). The two number spaces
// overlap (docs/evidence.md#E-numbers): message 1601 is not exit 1601.

var messages = map[int]string{
	1101: "could not open a file stream: [2], system error [3]",
	1301: "cannot create the file [2]: a directory with this name exists",
	1303: "the installer has insufficient privileges to access the directory [2]",
	1304: "error writing to the file [2]",
	1305: "error reading from the file [2]",
	1306: "another application has exclusive access to the file [2]",
	1308: "source file not found: [2]",
	1309: "error opening the source file [3], system error [2]",
	1310: "error writing to the file [3], system error [2]",
	1311: "source file not found (cabinet): [2]",
	1324: "the folder path [2] contains an invalid character",
	1327: "invalid drive: [2]",
	1334: "a file cannot be installed: it is not in the cabinet [3]",
	1335: "the cabinet [2] is corrupt",
	1402: "could not open the registry key [2], system error [3] (in a healthy log: a key that does not exist yet)",
	1406: "could not write a value to the registry key [3], system error [4]",
	1500: "another installation is in progress",
	1601: "out of disk space (the message; exit code 1601 is the service failure)",
	1603: "a file is held in use by another process",
	1606: "could not access the network location [2]",
	1704: "an installation of [2] is suspended: its changes must be undone first",
	1705: "a previous installation of this product is in progress: its changes must be undone first",
	1706: "an installation package for the product [2] cannot be found (the source, [3])",
	1708: "installation failed",
	1712: "files needed to restore the computer to its previous state could not be found",
	1714: "the older version of [2] cannot be removed",
	1719: "the Windows Installer service could not be accessed",
	1720: "a script custom action could not run: custom action [2], script error [3]",
	1721: "a program required for the install could not be run: action [2], location [3], command [4]",
	1722: "a program run as part of the setup did not finish as expected: action [2], location [3], command [4]",
	1723: "a DLL required for the install could not be run: action [2], entry [3], library [4]",
	1730: "you must be an Administrator to remove this application",
	1731: "the product's source package is out of sync with the client package",
	1732: "the computer must restart to complete the installation of [2]",
	1903: "scheduling a reboot operation: renaming [2] to [3]",
	1904: "module [2] failed to register, HRESULT [3]",
	1920: "service [2] ([3]) failed to start",
	1923: "service [2] ([3]) could not be installed",
	1925: "insufficient privileges to complete the installation for all users of the machine",
	1926: "could not set file security for the file [3], error [2]",
	1935: "an error occurred installing the assembly component [2], HRESULT [3]",
	2203: "cannot open the database file [2], system error [3] (in a healthy log: the .ipi marker or a patch looked up and not found)",
	2205: "a table was not found in the database (in a healthy log: an optional table such as Error)",
	2228: "unknown table in an SQL query (in a healthy log: the lookup of an optional table)",
	2262: "a stream does not exist (in a healthy log: an optional stream)",
	2265: "could not commit storage, system error [3] (in a healthy log: rollback cleanup)",
	2336: "could not create a temporary file in the folder [3], system error [2]",
	2502: "InstallFinalize was called when no install was in progress",
	2503: "RunScript was called when not marked in progress",
	2753: "the file [2] is not marked for installation",
	2755: "the server returned unexpected error [2] attempting to install package [3]",
	2762: "an action must be scheduled between InstallInitialize and InstallFinalize",
	2769: "custom action [2] did not close [3] MSIHANDLEs",
	2774: "the client failed to connect to the Windows Installer service, error [2]",
	2826: "a dialog control extends beyond its dialog (cosmetic)",
	2835: "a dialog control was not found (cosmetic)",
	2898: "a font was created for a text style (information)",
}

var exitCodes = map[int]string{
	0:    "ERROR_SUCCESS: the action completed successfully",
	2:    "ERROR_FILE_NOT_FOUND (a system error): a file the command line names does not exist",
	13:   "ERROR_INVALID_DATA: the data is invalid",
	87:   "ERROR_INVALID_PARAMETER: one of the parameters was invalid",
	1601: "ERROR_INSTALL_SERVICE_FAILURE: the Windows Installer service could not be accessed",
	1602: "ERROR_INSTALL_USEREXIT: the user canceled the installation",
	1603: "ERROR_INSTALL_FAILURE: a fatal error occurred during installation",
	1604: "ERROR_INSTALL_SUSPEND: installation suspended, incomplete",
	1605: "ERROR_UNKNOWN_PRODUCT: the action is only valid for products that are installed",
	1610: "ERROR_BAD_CONFIGURATION: the product's configuration data is corrupt",
	1612: "ERROR_INSTALL_SOURCE_ABSENT: the installation source for this product is not available",
	1613: "ERROR_INSTALL_PACKAGE_VERSION: this version of Windows Installer cannot install the package",
	1618: "ERROR_INSTALL_ALREADY_RUNNING: another installation is in progress",
	1619: "ERROR_INSTALL_PACKAGE_OPEN_FAILED: the installation package could not be opened",
	1620: "ERROR_INSTALL_PACKAGE_INVALID: the installation package is not a valid package",
	1622: "ERROR_INSTALL_LOG_FAILURE: the installation log file could not be opened",
	1624: "ERROR_INSTALL_TRANSFORM_FAILURE: a transform could not be applied",
	1625: "ERROR_INSTALL_PACKAGE_REJECTED: the installation is forbidden by system policy",
	1632: "ERROR_INSTALL_TEMP_UNWRITABLE: the temporary folder is full or cannot be accessed",
	1633: "ERROR_INSTALL_PLATFORM_UNSUPPORTED: the package is not supported on this platform",
	1638: "ERROR_PRODUCT_VERSION: another version of this product is already installed",
	1639: "ERROR_INVALID_COMMAND_LINE: invalid command line argument",
	1641: "ERROR_SUCCESS_REBOOT_INITIATED: the installer has started a reboot",
	1652: "the Windows Installer service is not available in safe mode",
	3010: "ERROR_SUCCESS_REBOOT_REQUIRED: success; a restart completes it",
}

// systemErrors are the system errors and storage HRESULTs notes carry.
var systemErrors = map[string]string{
	"2":           "ERROR_FILE_NOT_FOUND",
	"3":           "ERROR_PATH_NOT_FOUND",
	"5":           "ERROR_ACCESS_DENIED",
	"32":          "ERROR_SHARING_VIOLATION (in use by another process)",
	"110":         "ERROR_OPEN_FAILED (the system cannot open the device or file specified)",
	"112":         "ERROR_DISK_FULL",
	"-2147287038": "STG_E_FILENOTFOUND",
	"-2147287037": "STG_E_PATHNOTFOUND",
	"-2147287035": "STG_E_ACCESSDENIED",
	"-2147286960": "STG_E_FILEALREADYEXISTS",
	"0x80070005":  "E_ACCESSDENIED",
	"0x80070422":  "ERROR_SERVICE_DISABLED",
	"0x80040154":  "REGDB_E_CLASSNOTREG (class not registered)",
	"0x800401F0":  "CO_E_NOTINITIALIZED",
}

// MessageMeaning is message n's documented meaning ("" when not in the table).
func MessageMeaning(n int) string { return messages[n] }

// ExitMeaning is exit code n's documented meaning ("" when not in the table).
func ExitMeaning(n int) string { return exitCodes[n] }

// SystemError names a system error or HRESULT as a note prints it ("" unknown).
func SystemError(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		s = "0x" + strings.ToUpper(s[2:])
	}
	return systemErrors[s]
}

// Describe is "message N: meaning" with its arguments filled in where
// the line has them, or "message N (not in msilab's table)".
func Describe(l Line) string {
	m := messages[l.Num]
	if m == "" {
		return fmt.Sprintf("message %d (not in msilab's table: see the Windows Installer Error Messages page)", l.Num)
	}
	if l.Kind == KindNote {
		for i, a := range l.Args {
			ph := "[" + strconv.Itoa(i+2) + "]"
			if name := SystemError(a); name != "" {
				a += " " + name
			}
			if a == "" {
				a = "(empty)"
			}
			m = strings.ReplaceAll(m, ph, a)
		}
	}
	return fmt.Sprintf("message %d: %s", l.Num, m)
}
