package installer

// Rule is one behaviour the engine encodes, with its evidence label: D
// documented by Microsoft, R reported publicly, G our inference, to be
// confirmed on real Windows (a real-lab run that disagrees wins). Sources
// cites the rule's row of docs/evidence.md (docs/evidence.md#E-…), which
// names the rule and gives the facts and their sources in full.
type Rule struct {
	ID      string `json:"id"`
	When    string `json:"when"`
	Then    string `json:"then"`
	Label   string `json:"label"`
	Sources string `json:"sources"`
}

// Rule IDs. A Result lists the ones that decided its outcome.
const (
	RuleServiceUnavailable  = "service-unavailable"
	RuleServiceDemandStart  = "service-demand-start"
	RuleClientTemp          = "client-temp"
	RulePackageOpen         = "package-open"
	RuleDisableMSIAlways    = "disablemsi-always"
	RuleDisableMSINonAdmin  = "disablemsi-nonadmin"
	RuleExecutionMutex      = "execution-mutex"
	RuleServiceAccess       = "service-access-1601"
	RuleElevateAdmin        = "elevate-admin"
	RuleElevateConsent      = "elevate-consent"
	RuleAlwaysElevated      = "always-install-elevated"
	RuleLUASilent           = "lua-silent-1925"
	RuleLUAUninstall        = "lua-uninstall-1730"
	RuleMarkerDenied        = "marker-denied-2503-2502"
	RuleMarkerPathMissing   = "marker-path-missing-2203"
	RuleInstallerMissing    = "installer-missing-2755"
	RuleTargetDenied        = "target-denied"
	RuleCustomActionFailed  = "custom-action-1722"
	RuleCustomActionRun     = "custom-action-emulated"
	RuleCustomActionMissing = "custom-action-1721"
	RuleMaintenance         = "maintenance-reconfigure"
	RuleOtherVersion        = "other-version-1638"
	RuleNotInstalled        = "uninstall-unknown-product"
	RuleSourceAbsent        = "source-absent-1612"
	RuleSuccess             = "install-success"
	RuleUninstallSuccess    = "uninstall-success"
	RuleEvents              = "events"
	RuleRestart             = "restart-3010"
)

// rules is the catalog, in the order the engine meets them.
var rules = []Rule{
	{RuleServiceUnavailable, "msiserver is Disabled (Start=4) or not registered (msiexec /unregister)",
		"exit 1601; no verbose log; message 1719 in UIs that show one", "R (events G)",
		"docs/evidence.md#E-service-disabled; exit code D (MsiExec error messages)"},
	{RuleServiceDemandStart, "msiserver is Stopped with a demand (Manual) start",
		"the client's COM call starts it; the install proceeds normally", "D/R", "docs/evidence.md#E-service-stopped"},
	{RuleClientTemp, "the installing user's %TEMP% is missing or not writable by the client",
		"exit 1632 before the server is reached; log mostly empty; no events", "code D, trigger R, details G",
		"docs/evidence.md#E-user-temp; ERROR_INSTALL_TEMP_UNWRITABLE (D)"},
	{RulePackageOpen, "the package is missing, unreadable by the client, or not a valid database",
		"exit 1619 (missing/unreadable) or 1620 (invalid); Note: 1: 2203 in the log", "D (log G)",
		"docs/evidence.md#E-package-open; ERROR_INSTALL_PACKAGE_OPEN_FAILED / _INVALID (D)"},
	{RuleDisableMSIAlways, "policy DisableMSI = 2",
		"exit 1625; log: Machine policy value 'DisableMsi' is 2; no events modelled", "semantics D, code/log G",
		"docs/evidence.md#E-disablemsi-2; Microsoft policy 'Turn off Windows Installer' (D)"},
	{RuleDisableMSINonAdmin, "DisableMSI = 1 (or absent on Server editions) and the install would not run elevated",
		"log: Machine policy value 'DisableMsi' is 1 (the value applied, also when absent), Rejecting product '{ProductCode}': Non-assigned apps are disabled for non-admin users., Note: 1: 1708, Product: X -- Installation failed., the status line with 1625, MainEngineThread is returning 1625, Info 1625.This installation is forbidden by system policy. ...; exit 1625; events 11708, 1033 (1625)",
		"D (policy), R (the Server default, the log and the events)",
		"docs/evidence.md#E-disablemsi-1 and docs/evidence.md#E-policy-keys: Puppet's Windows troubleshooting docs, elastic/windows-installers#304, jgm/pandoc#2389"},
	{RuleExecutionMutex, "Global\\_MSIExecute is held by another install",
		"exit 1618; the client logs Failed to grab execution mutex. System error 258. after Client-side and UI is none or basic, then MainEngineThread is returning 1618; with a UI, Error 1500. and its product line between them; no 'Grabbed execution mutex'",
		"D (code), R (log)",
		"docs/evidence.md#E-mutex; ERROR_INSTALL_ALREADY_RUNNING (D); microsoft/PowerToys#15191, owasp-modsecurity/ModSecurity#1894, keybase/client#23980"},
	{RuleServiceAccess, "the client's token is not an administrator's or SYSTEM's and comes from neither an interactive logon nor a service: a standard user's (or UAC-filtered admin's) msiexec from a scheduled task (S4U or stored password: BATCH) or over WinRM or SSH (NETWORK)",
		"the service refuses the connection: the client logs Grabbed execution mutex., Failed to connect to server. Error: 0x80070005, Note: 1: 2774 2: 0x80070005, Failed to connect to server., MainEngineThread is returning 1601; exit 1601; no MSI (s) line, no event",
		"R (the right checked G)",
		"docs/evidence.md#E-service-access: TechCollective/DattoRMM_Components tools/test-harness/README.md (batch logon), Dino9021/dev-workstation install.ps1 (SSH network logon; the service's ACL: BA, IU, SU), a public write-up of msiexec /fa over WinRM (the client's log)"},
	{RuleElevateAdmin, "per-machine install by an elevated administrator or SYSTEM",
		"runs elevated: server-side operations as LocalSystem; log: Product installation will be elevated because user is admin and product is being installed per-machine., Running product '{ProductCode}' with elevated privileges: Product is assigned.",
		"D (log R)", "docs/evidence.md#E-elevation: ovn-kubernetes/ovn-kubernetes#409"},
	{RuleElevateConsent, "per-machine package, UAC-filtered admin, full UI",
		"UAC prompt (accepted in the lab); log: Product installation will be elevated because user is admin and product is being installed per-machine.; exit 0",
		"D/R", "docs/evidence.md#E-lua-full-ui"},
	{RuleAlwaysElevated, "AlwaysInstallElevated = 1 in both HKLM and HKCU policy keys",
		"any user's install runs elevated; log: ...'AlwaysInstallElevated' is 1", "D, log G",
		"docs/evidence.md#E-always-elevated; Microsoft 'AlwaysInstallElevated' policy (D)"},
	{RuleLUASilent, "per-machine package (ALLUSERS=1), not elevated, silent (or no one to elevate)",
		"log: MSI_LUA: Elevation prompt disabled for silent installs; Error 1925 at InstallInitialize; exit 1603; events 11925, 11708, 1033 (1603). The 2503 chain some packages give instead is not modelled",
		"R", "docs/evidence.md#E-lua-silent"},
	{RuleLUAUninstall, "silent uninstall of a per-machine product by a non-elevated user",
		"Error 1730, InstallInitialize. Return value 3.; exit 1603; events 11730, 1034 (1603)", "R",
		"docs/evidence.md#E-lua-uninstall"},
	{RuleMarkerDenied, "the in-progress marker C:\\Windows\\Installer\\inprogressinstallinfo.ipi cannot be written: SYSTEM lacks write on C:\\Windows\\Installer or on C:\\Windows\\Temp (the marker's scratch data), or the installing user lacks write on C:\\Windows\\Temp",
		"Note: 1: 2203 ... 3: -2147287035; the first RunScript fails with Note: 1: 2503, InstallFinalize with Note: 1: 2502; exit 1603; events 10005 x2, 11708, 1033 (1603), 1040/1042",
		"R (mechanism), G (which token writes where)",
		"docs/evidence.md#E-temp-acl and docs/evidence.md#E-installer-acl: actions/runner-images#1704 and its fix (pull 1959), ViGEmBus#91, meson#10697, ImageGlass#1884, lithnet/ad-password-protection#43"},
	{RuleInstallerMissing, "C:\\Windows\\Installer is missing",
		"the service cannot stage the package there (error 110); the client logs The system cannot open the device or file specified., Note: 1: 2755 2: 110 3: <package>, DEBUG: Error 2755:  Server returned unexpected error 110 attempting to install package <package>., and the error's text ending The arguments are: 110, <package>, ; exit 1603; event 10005",
		"R (2755, its arguments, the message), G (where the lines fall, the exit code, the event)",
		"docs/evidence.md#E-installer-missing: duplicati/duplicati#4381, keybase/client#13309, keybase/keybase-issues#4231, microsoft/PowerToys#316, microsoft/accessibility-insights-windows#776"},
	{RuleMarkerPathMissing, "the in-progress marker's write finds no path: its scratch folder C:\\Windows\\Temp is missing (or is a file)",
		"before Action start InstallInitialize: Note: 1: 2203 ... 3: -2147287038 twice, Server not locked: locking for product {ProductCode}, Note: 1: 2203 ... 3: -2147287037; then DEBUG: Error 2203; exit 1603; events 10005, 11708, 1033 (1603)",
		"R",
		"docs/evidence.md#E-installer-missing: intel/haxm#163 (the log), programmerah.com's report of 2203 from a C:\\Windows\\TEMP that was a file (the trigger)"},
	{RuleTargetDenied, "a target folder or file cannot be created by the token that installs files (LocalSystem when elevated, the user otherwise): a folder it cannot create, an existing folder that takes no new file from it, an existing file it cannot replace",
		"Note: 1: 1303 2: <folder> and Error 1303 naming the folder (the first two), Note: 1: 1310 2: <system error> 3: <file> and Error 1310 (the file); rollback; exit 1603; events 11303/11310, 11708, 1033 (1603)",
		"D (messages), R (1303 for an existing folder that denies the installer), G (points of the check)",
		"docs/evidence.md#E-target-denied and docs/evidence.md#E-target-acl; Windows Installer error messages 1303 and 1310 (D); EDDiscovery/EDDiscovery#2057, sqlitebrowser/sqlitebrowser#1841"},
	{RuleCustomActionFailed, "a deferred EXE custom action (types 2, 18, 34, 50) without 'continue on error' exits non-zero",
		"CustomAction <CA> returned actual error code N, Note: 1: 1722, Product: ... -- Error 1722. ..., Error 1722. ...; Action ended ...: InstallFinalize. Return value 3.; rollback; exit 1603; events 11722, 11708, 1033 (1603)", "D (the error), R (the log)",
		"docs/evidence.md#E-custom-action; Custom Action Return Processing Options; error 1722 (D); Particular/ServicePulse#139, microsoft/winget-pkgs#196915"},
	{RuleCustomActionMissing, "an EXE custom action's program (a full path: its source, or a type 34's first word) is not a file, e.g. a program the package never installs",
		"Note: 1: 1721 2: <action> 3: <location> 4: <command>, Product: ... -- Error 1721. ..., Error 1721. ... Action: <action>, location: <location>, command: <command>; a deferred one ends InstallFinalize (or InstallExecute) with Return value 3; rollback; exit 1603; events 11721, 11708, 1033 (1603); no 'returned actual error code' line",
		"D (the message), R (the log and the trigger)",
		"docs/evidence.md#E-custom-action-1721; Windows Installer error 1721 (D); stascorp/rdpwrap#409, DNSCrypt/SimpleDnsCrypt#157"},
	{RuleCustomActionRun, "an EXE custom action runs in the simulator",
		"only `cmd.exe /c exit N` is emulated (exit N); any other program fails with Error 1721; DLL and script custom actions fail with Error 1723",
		"G (a limit of the simulator)", "docs/evidence.md#E-custom-action-emulation"},
	{RuleMaintenance, "installing a product already installed from the same package (same package code)",
		"maintenance mode: nothing to change; exit 0; log: Product: X -- Configuration completed successfully., Windows Installer reconfigured the product. ... Reconfiguration success or error status: 0.; events 11728 and 1035 (0)",
		"D (maintenance mode; 11728 is 10000 + message 1728), R (the reconfiguration status line)",
		"docs/evidence.md#E-maintenance; Windows Installer maintenance installations (D); wixtoolset/issues#5327, hbons/SparkleShare#649"},
	{RuleOtherVersion, "installing a package whose ProductCode is installed from another package code",
		"exit 1638; nothing changes; log: 1638's text, the ProductCode, Product: X -- Configuration failed., Windows Installer reconfigured the product. ... (the installed version) ... Reconfiguration success or error status: 1638.; events 11729 and 1035 (1638)",
		"D (code), R (log and events), G (that the service writes them in a /qn install)", "docs/evidence.md#E-other-version; ERROR_PRODUCT_VERSION (D); hbons/SparkleShare#649, schubergphilis/mod_security#50"},
	{RuleSourceAbsent, "a removal by product code whose cached package (C:\\Windows\\Installer\\<x>.msi) is gone, and whose source list's last used source no longer holds the package",
		"the service logs Warning: Local cached package '<path>' is missing., the SOURCEMGMT lines (Trying source <folder>., Note: 1: 2203 with the package, Source is invalid due to missing/inaccessible package., Note: 1: 1706 ... through the net, media and URL lists), SOURCEMGMT: Failed to resolve source, MainEngineThread is returning 1612; no action runs; exit 1612; no event modelled",
		"D (the code), R (the SOURCEMGMT lines, the cached package warning), G (the order around the warning, the events)",
		"docs/evidence.md#E-source-missing; ERROR_INSTALL_SOURCE_ABSENT (D); owncloud/client#6861"},
	{RuleNotInstalled, "uninstalling a product that is not installed in the user's context or per-machine",
		"exit 1605", "D", "docs/evidence.md#E-unknown-product; ERROR_UNKNOWN_PRODUCT (D)"},
	{RuleSuccess, "nothing stops the install",
		"files and registry values written, product registered and package cached; exit 0; events 1040, 11707, 1033 (0), 1042", "D/R",
		"docs/evidence.md#E-success and docs/evidence.md#E-events"},
	{RuleUninstallSuccess, "nothing stops the removal",
		"files, values and registration removed; exit 0; events 1040, 11724, 1034 (0), 1042", "D/R", "docs/evidence.md#E-uninstall-success and docs/evidence.md#E-events"},
	{RuleEvents, "any run that reaches the server",
		"MsiInstaller events in the Application log with the installing user's SID: 10005 per internal 2xxx error (Error; its text ends with the error's arguments), 10000+N per authored 1xxx error (Error), 11707 and 11708 (Information), 1033/1034 with the status", "D (R for 10005's SID and text, 11708's level, 1040/1042)",
		"docs/evidence.md#E-events; PowerToys#8123, lithnet/ad-password-protection#137"},
	{RuleRestart, "the sequence runs ScheduleReboot or ForceReboot",
		"with /norestart (REBOOT=ReallySuppress): the install completes, exit 3010 (ERROR_SUCCESS_REBOOT_REQUIRED), event 1038; " +
			"silent without it: exit 1641 (ERROR_SUCCESS_REBOOT_INITIATED), the machine restarts (not simulated)", "D (1033's status 0 and 1038's fields G)",
		"docs/evidence.md#E-reboot; REBOOT property, System Reboots (D)"},
}

// Rules lists the engine's rules.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// LookupRule returns a rule by ID.
func LookupRule(id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
