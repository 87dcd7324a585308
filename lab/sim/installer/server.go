package installer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// mutexExecute is the execution mutex (D).
const mutexExecute = `Global\_MSIExecute`

// errOpenFailed is ERROR_OPEN_FAILED (110, D: winerror.h), what the
// service returns when it cannot stage the package in a missing
// C:\Windows\Installer; errOpenFailedText is its system message, which
// the log shows once from each side (R: microsoft/PowerToys#316).
const (
	errOpenFailed     ExitCode = 110
	errOpenFailedText          = "The system cannot open the device or file specified."
)

// msgProductVersion is 1638's text, as msiexec prints it (D: the error
// codes; R: the double spaces, schubergphilis/mod_security#50).
const msgProductVersion = "Another version of this product is already installed.  Installation of this version cannot continue.  " +
	"To configure or remove the existing version of this product, use Add/Remove Programs on the Control Panel."

// server is the msiserver side of the run, from the thread that takes the
// install to the service's tail lines.
func (r *run) server() ExitCode {
	r.log.srv("Running installation inside multi-package transaction %s", r.target())
	r.log.srv("Grabbed execution mutex.")
	r.log.s("Resetting cached policy values")
	r.log.s("Machine policy value 'Debug' is 0")
	r.log.runEngine(r.log.s, r.target())
	r.log.s("Machine policy value 'DisableUserInstalls' is 0")
	if r.sourceNeeded && !r.resolveSource() {
		return ExitSourceAbsent
	}
	// Is an install suspended? No marker: file not found, the normal case
	// (R: prometheus-community/windows_exporter#333).
	r.log.note("s", MsgCannotOpenDB, markerPath, stgFileNotFound)
	if !r.stagePackage() {
		r.log.line(errOpenFailedText)
		r.log.s("MainEngineThread is returning %d", int(errOpenFailed))
		r.log.serverTail(false, "")
		return errOpenFailed
	}
	disable, set := r.policy(policyKey, "DisableMSI")
	aieMachine, _ := r.policy(policyKey, "AlwaysInstallElevated")
	aieUser, _ := r.policy(userPolicyKey, "AlwaysInstallElevated")
	if !set {
		// The value Windows applies, also when absent: 1 on Server (R:
		// elastic/windows-installers#304, docs/evidence.md#E-disablemsi-1).
		disable = uint64(r.m.Profile().DisableMSIWhenAbsent)
	}
	r.log.s("Machine policy value 'DisableMsi' is %d", disable)
	r.log.s("Machine policy value 'AlwaysInstallElevated' is %d", aieMachine)
	r.log.s("User policy value 'AlwaysInstallElevated' is %d", aieUser)
	r.initProperties()
	r.decideElevation(aieMachine == 1 && aieUser == 1)
	if disable == 1 && !r.elevated {
		// R: the Puppet log of docs/evidence.md#E-disablemsi-1, line by line.
		r.rule(RuleDisableMSINonAdmin)
		r.log.s("Rejecting product '%s': Non-assigned apps are disabled for non-admin users.", r.props["ProductCode"])
		r.outcome(ExitPackageRejected, false)
		r.log.s("MainEngineThread is returning %d", int(ExitPackageRejected))
		r.log.serverTail(false, "Info 1625.This installation is forbidden by system policy. Contact your system administrator.")
		return ExitPackageRejected
	}
	if !r.elevated && !r.perMachine {
		// R: PowerShell/Win32-OpenSSH#1923 (a per-user install).
		r.log.s("Running product '%s' with user privileges: It's not assigned.", r.props["ProductCode"])
	}
	if r.req.Action == Install && r.installed != nil {
		if !strings.EqualFold(r.installed.packageCode, r.pkg.packageCode) {
			// R: hbons/SparkleShare#649, line by line: the message, the
			// ProductCode, then the installed product's reconfiguration
			// failing with 1638 (its version, not the package's).
			r.rule(RuleOtherVersion)
			r.log.line(msgProductVersion)
			r.log.line(r.props["ProductCode"])
			r.props["ProductVersion"] = r.installed.version
			r.outcome(ExitProductVersion, true)
			r.log.s("MainEngineThread is returning %d", int(ExitProductVersion))
			r.log.serverTail(false, "")
			return ExitProductVersion
		}
		r.maint = true
		r.rule(RuleMaintenance)
	}
	r.ev.transaction(EventTransactionBegin, r.target(), r.log.client[0])
	r.log.actionStart("INSTALL")
	code := r.execute()
	rv := 1
	if code != ExitSuccess {
		rv = 3
	}
	r.log.actionEnd("INSTALL", rv)
	r.log.flushEnd()
	r.log.properties("s", r.props)
	r.outcome(code, true)
	if code == ExitSuccess {
		code = r.restartCode()
	}
	r.log.s("Deferring clean up of packages/files, if any exist")
	r.log.s("MainEngineThread is returning %d", int(code))
	r.log.serverTail(true, "")
	r.ev.transaction(EventTransactionEnd, r.target(), r.log.client[0])
	return code
}

// stagePackage is the service's copy of the package under
// C:\Windows\Installer, which it runs the install from (R: "Package
// we're running from ==> C:\WINDOWS\Installer\....msi" and the DATABASE
// property of public logs). A removal by product code runs from the cached
// package. A missing folder fails it with 110 (R:
// docs/evidence.md#E-installer-missing); whether an ACL that denies SYSTEM
// write there fails it too is not known (G: the engine stages nothing, so
// the installer-acl fault still gives the 2503 chain).
func (r *run) stagePackage() bool {
	r.log.s("Original package ==> %s", r.pkgPath)
	running := r.pkgPath
	if r.req.Package != "" {
		if fi, err := r.m.FS().Stat(installerDir); err != nil || !fi.Dir {
			return false
		}
		running = cachedPackageName(r.pkg.props["ProductCode"], r.pkg.packageCode)
	}
	r.log.s("Package we're running from ==> %s", running)
	return true
}

// decideElevation sets perMachine and elevated, and logs why.
func (r *run) decideElevation(alwaysElevated bool) {
	tok := r.req.Token
	r.perMachine = r.installed != nil && r.installed.perMachine()
	if r.installed == nil {
		switch r.props["ALLUSERS"] {
		case "1":
			r.perMachine = true
		case "2": // per-machine when privileged (D: "ALLUSERS property")
			r.perMachine = tok.IsAdmin() || alwaysElevated
		}
	}
	switch {
	case alwaysElevated:
		r.rule(RuleAlwaysElevated)
		r.log.s("Running product '%s' with elevated privileges: All apps run elevated.", r.props["ProductCode"])
		r.elevated = true
	case tok.IsAdmin():
		if r.perMachine {
			// R: ovn-kubernetes/ovn-kubernetes#287 and #409, line by line.
			r.rule(RuleElevateAdmin)
			r.log.s("Product installation will be elevated because user is admin and product is being installed per-machine.")
			r.log.s("Running product '%s' with elevated privileges: Product is assigned.", r.props["ProductCode"])
		}
		r.elevated = true
	case r.perMachine && tok.Kind == win.KindAdminFiltered && r.req.UI == UIFull:
		r.rule(RuleElevateConsent)
		r.log.s("Product installation will be elevated because user is admin and product is being installed per-machine.")
		r.log.c("Elevation required to install product; will prompt for credentials")
		r.log.c("Credential Request return = 0x0")
		if full, err := r.m.Token(win.KindAdminElevated, r.req.User); err == nil {
			r.req.Token = full
		}
		r.elevated = true
	case r.perMachine:
		r.log.s("MSI_LUA: Elevation prompt disabled for silent installs")
	}
	r.setProp("Privileged", boolProp(r.elevated))
	r.setProp("AdminUser", boolProp(r.req.Token.IsAdmin() || r.req.Token.Kind == win.KindAdminFiltered))
	if !r.perMachine {
		r.setProp("ALLUSERS", "")
	}
	r.resolveDirectories()
}

func boolProp(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// execute walks the InstallExecuteSequence. A failed action ends it:
// its "Action ended ... Return value 3." line, then the rollback (R:
// Particular/ServiceControl#362).
func (r *run) execute() ExitCode {
	for _, a := range r.pkg.execSeq {
		ok, err := EvalCondition(a.Condition, r)
		if err != nil {
			ok = false // G: a condition that does not parse is false
		}
		if !ok {
			r.log.s("Skipping action: %s (condition is false)", a.Name)
			continue
		}
		r.log.doing(a.Name)
		if a.Name == "InstallInitialize" {
			r.beginTransaction()
		}
		r.log.started(a.Name)
		rv := r.action(a.Name)
		r.log.actionEnd(a.Name, rv)
		if rv == 3 {
			r.failed = true
			break
		}
	}
	if r.failed {
		r.restart = false
		if len(r.undo) > 0 {
			r.log.s("User policy value 'DisableRollback' is 0")
			r.log.s("Machine policy value 'DisableRollback' is 0")
		}
		r.log.flushEnd()
		r.rollback()
		r.finalize()
		return ExitInstallFailure
	}
	return ExitSuccess
}

// restartSuppressed reports REBOOT=ReallySuppress, which /norestart sets
// (D: the REBOOT property reads only its first character).
func (r *run) restartSuppressed() bool {
	return r.req.NoRestart || strings.HasPrefix(strings.ToUpper(r.props["REBOOT"]), "R")
}

// scheduleRestart is ScheduleReboot (a restart at the end) and ForceReboot
// (a restart now): with REBOOT=ReallySuppress both only record that a
// restart is due, and the run returns 3010 (D: REBOOT property, System
// Reboots). A silent run without it restarts the machine (D): the
// simulated host does not go down, but the run exits 1641; how much of
// the sequence a real ForceReboot lets run first is G
// (docs/evidence.md#E-reboot).
func (r *run) scheduleRestart(action string) {
	r.rule(RuleRestart)
	r.restart = true
	if action == "ForceReboot" && !r.restartSuppressed() {
		r.log.s("ForceReboot: the installer restarts the machine now (not simulated)")
	}
}

// restartCode is a successful run's exit code: 0, 3010 when a restart is
// due and suppressed, 1641 when the installer started it. A due restart
// is logged and written as event 1038 after the status (its text R, its
// restart type and reason G).
func (r *run) restartCode() ExitCode {
	if !r.restart {
		return ExitSuccess
	}
	r.log.s(englishTexts.restart, r.props["ProductName"], r.props["ProductVersion"], r.props["ProductLanguage"], r.props["Manufacturer"])
	r.log.line("")
	r.ev.restart(r.props)
	if r.restartSuppressed() {
		return ExitSuccessRebootRequired
	}
	return ExitRebootInitiated
}

// action runs one standard or custom action; it returns 1 or 3.
func (r *run) action(name string) int {
	if ca, ok := r.pkg.cas[name]; ok {
		return r.customAction(ca)
	}
	switch name {
	case "LaunchConditions":
		return r.launchConditions()
	case "InstallInitialize":
		return r.installInitialize()
	case "InstallExecute", "InstallExecuteAgain":
		if !r.runScript() {
			return 3
		}
		return 1
	case "InstallFinalize":
		ok := r.runScript()
		if !r.finalize() || !ok {
			return 3
		}
		return 1
	case "InstallFiles", "RemoveFiles", "WriteRegistryValues", "RemoveRegistryValues", "RegisterProduct", "PublishProduct":
		r.schedule(name)
	case "ScheduleReboot", "ForceReboot":
		r.scheduleRestart(name)
	}
	return 1
}

func (r *run) launchConditions() int {
	for _, lc := range r.pkg.launch {
		if ok, err := EvalCondition(lc.condition, r); err == nil && !ok {
			r.log.line(lc.description)
			r.ev.productMessage(eventAuthoredErrorBase+1708, model.LevelError, r.props["ProductName"], lc.description)
			return 3
		}
	}
	return 1
}

// beginTransaction is what InstallInitialize writes before its "Action
// start" line when the install may begin: the policies read again, the
// server locked for the product, and the in-progress marker written. Its
// reads give file not found, the normal case; a write whose path is not
// found leaves a -2147287037 note (R: intel/haxm#163, line by line): the
// marker's scratch folder, C:\Windows\Temp, is missing or a file (R: the
// programmerah.com report of docs/evidence.md#E-installer-missing).
func (r *run) beginTransaction() {
	if r.luaBlocked() {
		return
	}
	aieMachine, _ := r.policy(policyKey, "AlwaysInstallElevated")
	aieUser, _ := r.policy(userPolicyKey, "AlwaysInstallElevated")
	r.log.s("Machine policy value 'AlwaysInstallElevated' is %d", aieMachine)
	r.log.s("User policy value 'AlwaysInstallElevated' is %d", aieUser)
	r.log.s("BeginTransaction: Locking Server")
	r.log.note("s", MsgCannotOpenDB, markerPath, stgFileNotFound)
	r.log.s("SRSetRestorePoint skipped for this transaction.")
	r.log.note("s", MsgCannotOpenDB, markerPath, stgFileNotFound)
	r.log.s("Server not locked: locking for product %s", r.props["ProductCode"])
	r.initialized = true
	if fi, err := r.m.FS().Stat(tempDir); err != nil || !fi.Dir {
		r.pathMissing = true
		r.log.note("s", MsgCannotOpenDB, markerPath, stgPathNotFound)
		return
	}
	sys := win.SystemToken()
	if !r.canWrite(sys, installerDir) || !r.canWrite(sys, tempDir) || !r.canWrite(r.req.Token, tempDir) {
		// Silently not marked in progress; the first RunScript finds out (R).
		r.rule(RuleMarkerDenied)
		return
	}
	content := []byte(fmt.Sprintf("msilab in-progress marker\r\nProductCode=%s\r\nPackage=%s\r\n", r.props["ProductCode"], r.pkgPath))
	if err := r.m.FS().WriteFile(sys, markerPath, content); err != nil {
		r.rule(RuleMarkerDenied)
		return
	}
	r.marked = true
}

// luaBlocked reports a per-machine install that does not run elevated.
func (r *run) luaBlocked() bool { return r.perMachine && !r.elevated }

// installInitialize begins the install: the privilege checks of a
// non-elevated per-machine install, then the marker's outcome.
func (r *run) installInitialize() int {
	if r.luaBlocked() {
		if r.req.Action == Uninstall {
			r.rule(RuleLUAUninstall)
			r.raise(MsgAdminToRemove)
		} else {
			r.rule(RuleLUASilent)
			r.raise(MsgAllUsersPrivilege)
		}
		return 3
	}
	if r.pathMissing {
		r.rule(RuleMarkerPathMissing)
		r.raise(MsgCannotOpenDB, markerPath, stgPathNotFound)
		r.initialized = false
		return 3
	}
	return 1
}

// canWrite reports whether tok may create a file in dir (FILE_ADD_FILE).
func (r *run) canWrite(tok *win.Token, dir string) bool {
	got, err := r.m.FS().Access(tok, dir)
	return err == nil && got&win.FileAddFile != 0
}

// runScript runs the script built so far; without the marker it fails
// with 2503 (R: the log in docs/evidence.md#E-marker).
func (r *run) runScript() bool {
	r.log.s(`Running Script: %s\MSI%04X.tmp`, installerDir, r.log.server[0]&0xffff)
	if !r.marked {
		r.log.s("PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.")
		r.log.note("s", MsgCannotOpenDB, markerPath, stgAccessDenied)
		r.log.note("s", MsgRunScriptNotMarked)
		r.raise(MsgRunScriptNotMarked)
		return false
	}
	ops := r.script
	r.script = nil
	for _, op := range ops {
		if !op(r) {
			return false
		}
	}
	return true
}

// finalize ends the install: it removes the marker, or reports 2502 when
// the install was never marked in progress.
func (r *run) finalize() bool {
	if !r.initialized {
		return true
	}
	r.initialized = false
	if !r.marked {
		// R: lithnet/ad-password-protection#43, line by line.
		r.log.note("s", MsgCannotOpenDB, markerPath, stgAccessDenied)
		r.log.note("s", MsgFinalizeNoInstall)
		r.raise(MsgFinalizeNoInstall)
		return false
	}
	r.marked = false
	if err := r.m.FS().Remove(win.SystemToken(), markerPath); err != nil && !errors.Is(err, model.ErrNotFound) {
		r.log.note("s", 2318, markerPath)
	}
	return true
}

// outcome writes the end of the engine's log, after the property dump, and
// its events: the note of message 1707 (success) or 1708 (failure) (1724,
// 1725, 1728 and 1729 for a removal and a reconfiguration, G), the product's
// line, the status line, each followed by an empty line when the install
// ran (R: microsoft/winget-cli#433); a rejected one writes them without
// (R: the Puppet log of docs/evidence.md#E-disablemsi-1). Events: 1170x,
// 1172x at level Information (R: 11708, lithnet/ad-password-protection#137,
// DefGuard/client#205), then 1033, 1034 or 1035 with the status.
func (r *run) outcome(code ExitCode, ran bool) {
	name := r.props["ProductName"]
	msg, event, text := Message(1707), uint32(EventInstallSucceeded), "Installation completed successfully."
	verb, what, status := "installed", "Installation", uint32(EventInstalled)
	switch {
	case r.req.Action == Uninstall && code == ExitSuccess:
		r.rule(RuleUninstallSuccess)
		msg, event, text = 1724, EventRemoveSucceeded, "Removal completed successfully."
		verb, what, status = "removed", "Removal", EventRemoved
	case r.req.Action == Uninstall:
		msg, event, text = 1725, EventRemoveFailed, "Removal failed."
		verb, what, status = "removed", "Removal", EventRemoved
	case r.maint && code == ExitSuccess:
		msg, event, text = 1728, EventConfigSucceeded, "Configuration completed successfully."
		verb, what, status = "reconfigured", "Reconfiguration", EventReconfigured
	case code == ExitProductVersion:
		msg, event, text = 1729, EventConfigFailed, "Configuration failed."
		verb, what, status = "reconfigured", "Reconfiguration", EventReconfigured
	case code == ExitSuccess:
		r.rule(RuleSuccess)
	default:
		msg, event, text = 1708, EventInstallFailed, "Installation failed."
	}
	blank := func() {
		if ran {
			r.log.line("")
		}
	}
	if code != ExitProductVersion { // SparkleShare#649's 1638 has no note
		r.log.note("s", msg)
	}
	r.log.s("Product: %s -- %s", name, text)
	blank()
	r.ev.productMessage(event, model.LevelInformation, name, text)
	r.log.s("Windows Installer %s the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. %s success or error status: %d.",
		verb, name, r.props["ProductVersion"], r.props["ProductLanguage"], r.props["Manufacturer"], what, int(code))
	blank()
	r.ev.status(status, r.props, code)
	r.rule(RuleEvents)
}
