package installer

import (
	"bytes"
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/msi"
	"github.com/msilab/msilab/win"
)

// Source resolution (docs/evidence.md#E-source-missing). A removal by
// product code runs from the package cached under C:\Windows\Installer;
// when that copy is gone the service looks for the original package
// through the product's source list (LastUsedSource, then the network,
// media and URL lists). When none has it the run ends with 1612 before
// any action, line for line as a public log shows it.

// stgFailed is the HRESULT msi.dll prints in its 1706 notes for a source
// it rejected (R: the log of docs/evidence.md#E-source-missing).
const stgFailed = "-2147483647"

// sourceList reads the product's source list: the last used source
// folder (without its "n;1;" prefix) and the package's name.
func (r *run) sourceList() (dir, name string) {
	key := productsKey(r.installed.sid, packGUID(r.installed.code)) + `\SourceList`
	sys := win.SystemToken()
	if v, err := r.m.Registry().GetValue(sys, key, "PackageName"); err == nil {
		name = v.Str
	}
	if v, err := r.m.Registry().GetValue(sys, key, "LastUsedSource"); err == nil {
		parts := strings.SplitN(v.Str, ";", 3)
		dir = parts[len(parts)-1]
	}
	return dir, name
}

// resolveSource finds the package through the source list and loads it,
// or writes the failure and the service's tail and reports false.
func (r *run) resolveSource() bool {
	code := r.installed.code
	r.log.s("Warning: Local cached package '%s' is missing.", r.installed.localPackage)
	// R: the policy values read before source resolution (the same values
	// in owncloud/client#6861 and the log of docs/evidence.md#E-source-missing).
	r.log.s("User policy value 'SearchOrder' is 'nmu'")
	r.log.s("User policy value 'DisableMedia' is 0")
	r.log.s("Machine policy value 'AllowLockdownMedia' is 1")
	r.log.s("SOURCEMGMT: Looking for sourcelist for product %s", code)
	r.log.s("SOURCEMGMT: Adding %s; to potential sourcelist list (pcode;disk;relpath).", code)
	r.log.s("SOURCEMGMT: Now checking product %s", code)
	r.log.s("SOURCEMGMT: Attempting to use LastUsedSource from source list.")
	dir, name := r.sourceList()
	r.log.s("SOURCEMGMT: Trying source %s.", dir)
	path := dir + name
	data, err := r.m.FS().ReadFile(win.SystemToken(), path)
	if err == nil {
		if db, derr := msi.Open(bytes.NewReader(data), int64(len(data))); derr == nil {
			if p, perr := loadPackage(db); perr == nil && strings.EqualFold(p.props["ProductCode"], code) {
				// G: the lines of a source that resolves are not modelled further.
				r.log.s("SOURCEMGMT: Resolved source to: '%s'", name)
				r.pkg, r.pkgPath = p, path
				return true
			}
		}
		err = model.ErrNotFound // not this product's package: rejected like a missing one (G)
	}
	hr := stgFileNotFound
	switch {
	case errors.Is(err, model.ErrAccessDenied):
		hr = stgAccessDenied
	case errors.Is(err, model.ErrPathNotFound):
		hr = stgPathNotFound
	}
	// R: the log of docs/evidence.md#E-source-missing, line by line.
	r.rule(RuleSourceAbsent)
	r.log.note("s", MsgCannotOpenDB, path, hr)
	r.log.s("SOURCEMGMT: Source is invalid due to missing/inaccessible package.")
	r.log.note("s", MsgNoSource, stgFailed, name)
	r.log.s("SOURCEMGMT: Processing net source list.")
	r.log.note("s", MsgNoSource, stgFailed, name)
	r.log.s("SOURCEMGMT: Processing media source list.")
	r.log.note("s", MsgCannotOpenDB, "", stgPathNotFound)
	r.log.s("SOURCEMGMT: Source is invalid due to missing/inaccessible package.")
	r.log.note("s", MsgNoSource, stgFailed, name)
	r.log.s("SOURCEMGMT: Processing URL source list.")
	r.log.note("s", 1402, `UNKNOWN\URL`, "2")
	r.log.note("s", MsgNoSource, stgFailed, name)
	r.log.note("s", MsgNoSource, "", name)
	r.log.s("SOURCEMGMT: Failed to resolve source")
	r.res.Messages = append(r.res.Messages, MsgNoSource)
	r.log.s("MainEngineThread is returning %d", int(ExitSourceAbsent))
	r.log.srv("User policy value 'DisableRollback' is 0")
	r.log.srv("Machine policy value 'DisableRollback' is 0")
	r.log.srv("Incrementing counter to disable shutdown. Counter after increment: 0")
	for range 2 {
		r.log.srv("%s", noteText(1402, `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Installer\Rollback\Scripts`, "2"))
	}
	r.log.srv("Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1")
	return false
}
