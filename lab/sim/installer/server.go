package installer

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// mutexExecute is the execution mutex (D).
const mutexExecute = `Global\_MSIExecute`

// server is the msiserver side of the run.
func (r *run) server() ExitCode {
	owner := fmt.Sprintf("msiexec.exe (PID %d)", r.log.server[0])
	if err := r.m.Mutexes().Acquire(mutexExecute, owner, time.Time{}); err != nil {
		r.rule(RuleExecutionMutex)
		r.log.c("Failed to grab execution mutex. System error 258.")
		r.res.Messages = append(r.res.Messages, MsgAnotherInstall)
		r.log.errorLine(MsgAnotherInstall, MsgAnotherInstall.Text())
		return ExitAlreadyRunning
	}
	defer r.m.Mutexes().Release(mutexExecute)
	if !r.connect() {
		return ExitServiceFailure
	}
	r.log.s("Grabbed execution mutex.")
	r.log.s("Resetting cached policy values")
	disable, set := r.policy(policyKey, "DisableMSI")
	aieMachine, _ := r.policy(policyKey, "AlwaysInstallElevated")
	aieUser, _ := r.policy(userPolicyKey, "AlwaysInstallElevated")
	r.log.s("Machine policy value 'Debug' is 0")
	r.log.s("Machine policy value 'DisableUserInstalls' is 0")
	r.log.s("Machine policy value 'DisableMsi' is %d", disable)
	r.log.s("Machine policy value 'AlwaysInstallElevated' is %d", aieMachine)
	r.log.s("User policy value 'AlwaysInstallElevated' is %d", aieUser)
	if !set {
		disable = uint64(r.m.Profile().DisableMSIWhenAbsent)
	}
	r.initProperties()
	r.decideElevation(aieMachine == 1 && aieUser == 1)
	if disable == 1 && !r.elevated {
		r.rule(RuleDisableMSINonAdmin)
		r.log.s("Rejecting product '%s': Non-assigned apps are disabled for non-admin users.", r.pkgPath)
		r.log.s("MainEngineThread is returning %d", int(ExitPackageRejected))
		return ExitPackageRejected
	}
	if r.req.Action == Install && r.installed != nil {
		if !strings.EqualFold(r.installed.packageCode, r.pkg.packageCode) {
			r.rule(RuleOtherVersion)
			r.log.s("Product: %s -- Another version of this product is already installed.  Installation of this version cannot continue.", r.props["ProductName"])
			r.log.s("MainEngineThread is returning %d", int(ExitProductVersion))
			return ExitProductVersion
		}
		r.maint = true
		r.rule(RuleMaintenance)
	}
	r.ev.write(EventTransactionBegin, model.LevelInformation, fmt.Sprintf(
		"Beginning a Windows Installer transaction: %s. Client Process Id: %d.", r.target(), r.log.client[0]))
	code := r.execute()
	r.log.s("MainEngineThread is returning %d", int(code))
	r.finishEvents(code)
	r.ev.write(EventTransactionEnd, model.LevelInformation, fmt.Sprintf(
		"Ending a Windows Installer transaction: %s. Client Process Id: %d.", r.target(), r.log.client[0]))
	r.log.properties("s", r.props)
	return code
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
			r.rule(RuleElevateAdmin)
			r.log.s("Product installation will be elevated because user is admin and product is being installed per-machine.")
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

// execute walks the InstallExecuteSequence.
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
		r.log.actionStart(a.Name)
		rv := r.action(a.Name)
		r.log.actionEnd(a.Name, rv)
		if rv == 3 {
			r.failed = true
			break
		}
	}
	if r.failed {
		r.rollback()
		r.finalize()
		return ExitInstallFailure
	}
	return ExitSuccess
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
		if !ok {
			r.rollback()
		}
		if !r.finalize() || !ok {
			return 3
		}
		return 1
	case "InstallFiles", "RemoveFiles", "WriteRegistryValues", "RemoveRegistryValues", "RegisterProduct", "PublishProduct":
		r.schedule(name)
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

// installInitialize begins the install: the privilege checks of a
// non-elevated per-machine install, then the in-progress marker.
func (r *run) installInitialize() int {
	if r.perMachine && !r.elevated {
		if r.req.Action == Uninstall {
			r.rule(RuleLUAUninstall)
			r.raise(MsgAdminToRemove)
		} else {
			r.rule(RuleLUASilent)
			r.raise(MsgAllUsersPrivilege)
		}
		return 3
	}
	r.initialized = true
	sys := win.SystemToken()
	if !r.m.FS().Exists(markerPath) {
		r.log.note("s", MsgCannotOpenDB, markerPath, stgFileNotFound)
	}
	if fi, err := r.m.FS().Stat(installerDir); err != nil || !fi.Dir {
		r.rule(RuleMarkerPathMissing)
		r.log.note("s", MsgCannotOpenDB, markerPath, stgPathNotFound)
		r.raise(MsgCannotOpenDB, markerPath, stgPathNotFound)
		r.initialized = false
		return 3
	}
	if !r.canWrite(sys, installerDir) || !r.canWrite(sys, `C:\Windows\Temp`) || !r.canWrite(r.req.Token, `C:\Windows\Temp`) {
		// Silently not marked in progress; the first RunScript finds out (R).
		r.rule(RuleMarkerDenied)
		return 1
	}
	content := []byte(fmt.Sprintf("msilab in-progress marker\r\nProductCode=%s\r\nPackage=%s\r\n", r.props["ProductCode"], r.pkgPath))
	if err := r.m.FS().WriteFile(sys, markerPath, content); err != nil {
		r.rule(RuleMarkerDenied)
		return 1
	}
	r.marked = true
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
		r.log.note("s", MsgFinalizeNoInstall)
		r.raise(MsgFinalizeNoInstall)
		return false
	}
	r.marked = false
	if err := r.m.FS().Remove(win.SystemToken(), markerPath); err != nil && !errors.Is(err, model.ErrNotFound) {
		r.log.s("Note: 1: 2318 2: %s", markerPath)
	}
	return true
}

// finishEvents writes the outcome events and the log's product lines.
func (r *run) finishEvents(code ExitCode) {
	name := r.props["ProductName"]
	switch {
	case r.req.Action == Uninstall && code == ExitSuccess:
		r.rule(RuleUninstallSuccess)
		r.log.s("Product: %s -- Removal completed successfully.", name)
		r.ev.productMessage(EventRemoveSucceeded, model.LevelInformation, name, "Removal completed successfully.")
		r.log.s("Windows Installer removed the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Removal success or error status: 0.",
			name, r.props["ProductVersion"], r.props["ProductLanguage"], r.props["Manufacturer"])
		r.ev.status(EventRemoved, "removed", "Removal", r.props, code)
	case r.req.Action == Uninstall:
		r.log.s("Product: %s -- Removal failed.", name)
		r.ev.productMessage(EventRemoveFailed, model.LevelError, name, "Removal failed.")
		r.ev.status(EventRemoved, "removed", "Removal", r.props, code)
	case r.maint && code == ExitSuccess:
		r.log.s("Product: %s -- Configuration completed successfully.", name)
		r.ev.productMessage(EventConfigSucceeded, model.LevelInformation, name, "Configuration completed successfully.")
		r.ev.status(EventReconfigured, "reconfigured", "Reconfiguration", r.props, code)
	case code == ExitSuccess:
		r.rule(RuleSuccess)
		r.log.s("Product: %s -- Installation completed successfully.", name)
		r.ev.productMessage(EventInstallSucceeded, model.LevelInformation, name, "Installation completed successfully.")
		r.log.s("Windows Installer installed the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Installation success or error status: 0.",
			name, r.props["ProductVersion"], r.props["ProductLanguage"], r.props["Manufacturer"])
		r.ev.status(EventInstalled, "installed", "Installation", r.props, code)
	default:
		r.log.s("Product: %s -- Installation failed.", name)
		r.ev.productMessage(EventInstallFailed, model.LevelError, name, "Installation failed.")
		r.log.s("Windows Installer installed the product. Product Name: %s. Product Version: %s. Product Language: %s. Manufacturer: %s. Installation success or error status: %d.",
			name, r.props["ProductVersion"], r.props["ProductLanguage"], r.props["Manufacturer"], int(code))
		r.ev.status(EventInstalled, "installed", "Installation", r.props, code)
	}
	r.rule(RuleEvents)
}
